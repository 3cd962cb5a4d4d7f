import { isRemote, staticAuth, type Config, type RemoteServerConfig, type StaticAuthConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { StaticCredentials } from '../upstream/index.js';
import { ClientCredentialsGrant } from './client-credentials.js';
import { fetchPolicyFor } from './discovery/index.js';

/**
 * The credentials the operator configured per server (`auth.type` bearer, basic, headers, query, client_credentials),
 * one set per process: every principal's connection to such a server uses them, and a client_credentials token is
 * obtained once for all of them. Secrets stay in here and in the request headers (or the URL, for `query`); they
 * never reach a log line, an error text or a state detail.
 */
export class StaticServerCredentials {
  private readonly byServer = new Map<string, StaticCredentials>();

  constructor(config: Config, logger: Logger) {
    const log = logger.child({ component: 'auth' });
    for (const [name, server] of Object.entries(config.mcpServers)) {
      const auth = staticAuth(server);
      if (auth && isRemote(server)) this.byServer.set(name, credentialsOf(name, server, auth, config, log));
    }
  }

  /** The static credentials of a server; undefined when it has none (it may then need a sign-in). */
  for(server: string): StaticCredentials | undefined {
    return this.byServer.get(server);
  }
}

function credentialsOf(name: string, server: RemoteServerConfig, auth: StaticAuthConfig, config: Config, logger: Logger): StaticCredentials {
  // The operator's, for everyone: one identity per server (era verdicts are kept per identity).
  const identity = `static\u0000${name}`;
  switch (auth.type) {
    case 'bearer':
      return fixed(identity, { authorization: `Bearer ${auth.token}` });
    case 'basic':
      // RFC 7617 §2: base64 of user-id ":" password, as UTF-8 (the charset RFC 7617 §2.1 lets servers ask for).
      return fixed(identity, { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` });
    case 'headers':
      return fixed(identity, auth.headers);
    case 'query':
      return { kind: 'static', identity, queryParameters: { [auth.param]: auth.value }, headers: async () => undefined, rejected: async () => false };
    case 'client_credentials': {
      const policy = fetchPolicyFor(server.url, { allowPrivateHosts: config.security.allowPrivateHosts, allowHttp: config.security.allowHttp });
      const grant = new ClientCredentialsGrant(name, server.url, auth, policy, logger);
      return {
        kind: 'static',
        identity,
        headers: async () => ({ authorization: `Bearer ${await grant.current()}` }),
        rejected: (challenge, sent) => grant.renew(sent?.authorization?.replace(/^Bearer /i, ''), challenge),
      };
    }
  }
}

/** Credentials that never change: a refusal cannot be helped by sending them again. */
function fixed(identity: string, headers: Record<string, string>): StaticCredentials {
  const copy = { ...headers };
  return { kind: 'static', identity, headers: async () => copy, rejected: async () => false };
}
