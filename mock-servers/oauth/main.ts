/**
 * Standalone mock authorization server.
 *
 *   tsx mock-servers/oauth/main.ts --port 9000 [--issuer-path /t1] [--approval form]
 *     [--pkce optional] [--no-dcr] [--no-cimd] [--no-iss] [--no-s256] [--no-rotate]
 *     [--ttl 3600] [--scopes "read write"] [--client id:secret:https://app/cb,...]
 *
 * Prints the issuer URL as the only line on stdout; logs go to stderr.
 * Tests in other processes control it through http://HOST:PORT/_test/ (see README.md).
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { PreRegisteredClient } from './options.js';
import { startMockAuthServer } from './server.js';

const USAGE = 'usage: tsx mock-servers/oauth/main.ts [--port N] [--host H] [--issuer-path /p] [--approval auto|form] [--pkce required|optional] [--no-dcr] [--no-cimd] [--no-iss] [--no-s256] [--no-rotate] [--ttl S] [--scopes "a b"] [--client id[:secret]:redirect[,redirect]]...';

/** `id:secret:redirect1,redirect2`, or `id::redirect` for a public client. Redirect URIs contain ':' so split only twice. */
function parseClient(spec: string): PreRegisteredClient {
  const first = spec.indexOf(':');
  const second = first === -1 ? -1 : spec.indexOf(':', first + 1);
  if (first <= 0 || second === -1) throw new Error(`--client ${spec}: expected id:secret:redirect_uri[,redirect_uri]`);
  const clientId = spec.slice(0, first);
  const secret = spec.slice(first + 1, second);
  const redirectUris = spec.slice(second + 1).split(',').filter((u) => u !== '');
  return { clientId, redirectUris, ...(secret !== '' ? { clientSecret: secret } : {}) };
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'issuer-path': { type: 'string' },
      approval: { type: 'string' },
      pkce: { type: 'string' },
      'no-dcr': { type: 'boolean' },
      'no-cimd': { type: 'boolean' },
      'no-iss': { type: 'boolean' },
      'no-s256': { type: 'boolean' },
      'no-rotate': { type: 'boolean' },
      ttl: { type: 'string' },
      scopes: { type: 'string' },
      client: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const approval = values.approval;
  if (approval !== undefined && approval !== 'auto' && approval !== 'form') throw new Error(`--approval must be auto or form, got ${approval}`);
  const pkce = values.pkce;
  if (pkce !== undefined && pkce !== 'required' && pkce !== 'optional') throw new Error(`--pkce must be required or optional, got ${pkce}`);
  const ttl = positiveInt(values.ttl, '--ttl');

  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
  const server = await startMockAuthServer({
    port: positiveInt(values.port, '--port') ?? 0,
    host: values.host,
    ...(values['issuer-path'] !== undefined ? { issuerPath: values['issuer-path'] } : {}),
    ...(approval !== undefined ? { approval } : {}),
    ...(pkce !== undefined ? { pkce } : {}),
    dcr: !values['no-dcr'],
    cimd: !values['no-cimd'],
    issParameter: !values['no-iss'],
    advertiseS256: !values['no-s256'],
    rotateRefreshTokens: !values['no-rotate'],
    ...(ttl !== undefined ? { accessTokenTtlSeconds: ttl } : {}),
    ...(values.scopes !== undefined ? { scopesSupported: values.scopes.split(/[\s,]+/).filter((s) => s !== '') } : {}),
    preRegisteredClients: (values.client ?? []).map(parseClient),
    logger,
  });
  console.log(server.issuer);

  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  console.error(USAGE);
  process.exit(2);
});
