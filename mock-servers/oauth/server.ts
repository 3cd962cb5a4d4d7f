import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer } from 'node:http';
import { pino } from 'pino';
import { httpOrigin, listen } from '../../src/http/index.js';
import { createAuthorizeHandler } from './authorize.js';
import { createClock, type MockClock } from './clock.js';
import type { RouteContext } from './context.js';
import { FailureQueue, type FailNextOptions, type FailureEndpoint, type InjectedFailure } from './failures.js';
import { sendInjectedFailure } from './http.js';
import { takeSnapshot, type AuthServerSnapshot } from './inspection.js';
import { createIntrospectionHandler, createRevocationHandler } from './introspection.js';
import { buildMetadata, endpointsFor, metadataPaths, type AuthServerEndpoints } from './metadata.js';
import {
  mergeOptions,
  normaliseIssuerPath,
  resolveOptions,
  type MockAuthServerOptions,
  type MutableAuthServerOptions,
  type PreRegisteredClient,
  type ResolvedAuthServerOptions,
} from './options.js';
import { createRegistrationHandler } from './registration.js';
import { TokenSigner } from './signing.js';
import { AuthServerState, type IssuedAccessToken } from './state.js';
import { createTestApi } from './test-api.js';
import { createTokenHandler } from './token.js';

export interface MintAccessTokenInput {
  /** Default: the current user (`setUser`). */
  sub?: string;
  /** Space-separated. Default: none. */
  scope?: string;
  /** Becomes `aud`. Default: no audience. */
  resource?: string | string[];
  /** Default 'test-client'. */
  clientId?: string;
  /** Default: `accessTokenTtlSeconds`. */
  ttlSeconds?: number;
  /** Claims set over the usual ones (undefined removes one), e.g. `{ sub: undefined }` or `{ nbf: later }`. */
  claims?: Record<string, unknown>;
}

/** A running mock OAuth 2.1 authorization server. */
export interface MockAuthServer {
  /** e.g. `http://127.0.0.1:PORT/tenant1`. */
  readonly issuer: string;
  /** The origin, e.g. `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** The RFC 8414 metadata URL (path-aware). */
  readonly metadataUrl: string;
  readonly endpoints: AuthServerEndpoints;
  readonly clock: MockClock;
  /** Makes the next request(s) to `endpoint` fail; see `InjectedFailure`. */
  failNext(endpoint: FailureEndpoint, failure: InjectedFailure, options?: FailNextOptions): void;
  clearFailures(endpoint?: FailureEndpoint): void;
  /** A copy of everything recorded so far. Contains raw tokens: never log it. */
  inspect(): AuthServerSnapshot;
  /** Revokes one access or refresh token (a refresh token takes its grant with it). Returns whether it was known. */
  revoke(token: string): boolean;
  /** Revokes every token and outstanding code. */
  revokeAll(): void;
  /** Revokes access tokens only, so clients must use their refresh tokens. */
  revokeAccessTokens(): void;
  /** The `sub` auto-approval signs in as (default 'alice'). */
  setUser(sub: string): void;
  setOptions(partial: MutableAuthServerOptions): void;
  options(): ResolvedAuthServerOptions;
  registerClient(client: PreRegisteredClient): void;
  /** Issues an access token without a flow, e.g. to call a protected server with a chosen scope. */
  mintAccessToken(input?: MintAccessTokenInput): Promise<IssuedAccessToken>;
  /** Signs with a new key from now on, published in the JWKS beside the old ones. Returns the new `kid`. */
  rotateSigningKey(): Promise<string>;
  close(): Promise<void>;
}


export async function startMockAuthServer(options: MockAuthServerOptions = {}): Promise<MockAuthServer> {
  const host = options.host ?? '127.0.0.1';
  const issuerPath = normaliseIssuerPath(options.issuerPath);
  let resolved = resolveOptions(options);
  const log = options.logger ?? pino({ level: 'silent' });
  const signer = await TokenSigner.create();
  const clock = createClock();
  const failures = new FailureQueue();

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const port = await listen(httpServer, options.port ?? 0, host);
  const url = httpOrigin(host, port);
  const issuer = `${url}${issuerPath}`;
  const endpoints = endpointsFor(issuer);
  const state = new AuthServerState(issuer, clock, signer, () => resolved);
  state.registerPreRegisteredClients();
  const ctx: RouteContext = { state, failures, options: () => resolved, issuer, issuerPath, endpoints, log: log.child({ component: 'mock-oauth', issuer }) };

  let closing: Promise<void> | undefined;
  const server: MockAuthServer = {
    issuer,
    url,
    port,
    metadataUrl: `${url}/.well-known/oauth-authorization-server${issuerPath}`,
    endpoints,
    clock,
    failNext: (endpoint, failure, failOptions) => failures.add(endpoint, failure, failOptions),
    clearFailures: (endpoint) => failures.clear(endpoint),
    inspect: () => takeSnapshot(state, failures.pending()),
    revoke: (token) => state.revokeToken(token),
    revokeAll: () => state.revokeAll(),
    revokeAccessTokens: () => state.revokeAccessTokens(),
    setUser: (sub) => {
      state.user = sub;
    },
    setOptions: (partial) => {
      resolved = mergeOptions(resolved, partial);
      if (partial.preRegisteredClients) state.registerPreRegisteredClients();
    },
    options: () => structuredClone(resolved),
    registerClient: (client) => {
      resolved = { ...resolved, preRegisteredClients: [...resolved.preRegisteredClients.filter((c) => c.clientId !== client.clientId), client] };
      state.registerPreRegisteredClients();
    },
    mintAccessToken: async (input = {}) => {
      const record = await state.issueAccessToken({
        grantType: 'minted',
        clientId: input.clientId ?? 'test-client',
        sub: input.sub ?? state.user,
        scope: input.scope ?? '',
        resources: input.resource === undefined ? [] : [input.resource].flat(),
        ...(input.ttlSeconds !== undefined ? { ttlSeconds: input.ttlSeconds } : {}),
        ...(input.claims !== undefined ? { claimOverrides: input.claims } : {}),
      });
      return { ...record };
    },
    rotateSigningKey: () => signer.rotate(),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        // Also ends keep-alive sockets and requests held open by failNext(..., 'hang').
        httpServer.closeAllConnections();
      });
      return closing;
    },
  };

  // Discovery documents: checked per request because setOptions can change which paths answer.
  app.use((req, res, next) => {
    if (req.method !== 'GET' || !metadataPaths(issuerPath, resolved.metadataEndpoints).includes(req.path)) return next();
    if (sendInjectedFailure(res, failures.take('metadata'))) return;
    res.set('Cache-Control', 'no-store').json(buildMetadata(issuer, resolved));
  });

  const form = express.text({ type: 'application/x-www-form-urlencoded', limit: '1mb' });
  const routes = express.Router();
  const authorize = createAuthorizeHandler(ctx);
  routes.get('/authorize', authorize);
  routes.post('/authorize', form, authorize);
  routes.post('/token', form, createTokenHandler(ctx));
  const register = createRegistrationHandler(ctx);
  routes.post('/register', express.json({ limit: '1mb' }), (req, res, next) => (resolved.dcr ? register(req, res) : next()));
  routes.post('/revoke', form, createRevocationHandler(ctx));
  routes.post('/introspect', form, createIntrospectionHandler(ctx));
  routes.get('/jwks', (_req, res) => {
    state.counts.jwksFetches += 1;
    if (sendInjectedFailure(res, failures.take('jwks'))) return;
    res.json(signer.jwks());
  });
  app.use('/_test', createTestApi(server));
  app.use(issuerPath === '' ? '/' : issuerPath, routes);

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found' });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Body-parser errors (malformed JSON, too large) are the client's fault.
      res.status(status).json({ error: 'invalid_request', error_description: (error as Error).message });
      return;
    }
    log.error({ event: 'mock_oauth.error', err: error }, 'unhandled error in mock authorization server');
    res.status(500).json({ error: 'server_error' });
  });

  log.info({ event: 'mock_oauth.started', issuer }, 'mock authorization server listening');
  return server;
}
