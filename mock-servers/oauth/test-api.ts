import express, { type Router } from 'express';
import { z } from 'zod';
import { FAILURE_ENDPOINTS, type FailureEndpoint } from './failures.js';
import { redactSnapshot } from './inspection.js';
import { mutableOptionsSchema, type MutableAuthServerOptions } from './options.js';
import type { MockAuthServer } from './server.js';

const failureSchema = z.union([
  z.literal('hang'),
  z.object({ status: z.number().int().min(100).max(599), error: z.string(), description: z.string().optional() }),
]);
const failNextSchema = z.object({
  endpoint: z.enum(FAILURE_ENDPOINTS as [FailureEndpoint, ...FailureEndpoint[]]),
  failure: failureSchema,
  times: z.number().positive().optional(),
});
const clientSchema = z.object({ clientId: z.string().min(1), clientSecret: z.string().optional(), redirectUris: z.array(z.string()) });

/**
 * The inspection and control API over HTTP, for tests that drive a standalone
 * server from another process. Same operations as the in-process methods;
 * the snapshot is redacted (no raw tokens or client secrets).
 */
export function createTestApi(server: MockAuthServer): Router {
  const router = express.Router();
  router.use(express.json());
  const view = () => redactSnapshot(server.inspect()) as Record<string, unknown>;

  router.get('/state', (_req, res) => void res.json(view()));
  router.get('/tokens', (_req, res) => void res.json(view().tokens));
  router.get('/refresh-tokens', (_req, res) => void res.json(view().refreshTokens));
  router.get('/counts', (_req, res) => void res.json(view().counts));
  router.get('/clients', (_req, res) => void res.json(view().clients));
  router.get('/registrations', (_req, res) => void res.json(view().registrations));
  router.get('/cimd-fetches', (_req, res) => void res.json(view().cimdFetches));
  router.get('/authorization-requests', (_req, res) => void res.json(view().authorizationRequests));
  router.get('/authorization-requests/last', (_req, res) => void res.json(view().lastAuthorizationRequest ?? null));
  router.get('/token-requests', (_req, res) => void res.json(view().tokenRequests));
  router.get('/token-requests/last', (_req, res) => void res.json(view().lastTokenRequest ?? null));
  router.get('/clock', (_req, res) => void res.json({ now: server.clock.now() }));

  router.post('/clock/advance', (req, res) => {
    const { seconds } = z.object({ seconds: z.number() }).parse(req.body);
    res.json({ now: server.clock.advance(seconds) });
  });
  router.post('/clock/set', (req, res) => {
    const { epochSeconds } = z.object({ epochSeconds: z.number() }).parse(req.body);
    res.json({ now: server.clock.set(epochSeconds) });
  });
  router.post('/fail-next', (req, res) => {
    const body = failNextSchema.parse(req.body);
    server.failNext(body.endpoint, body.failure, body.times !== undefined ? { times: body.times } : {});
    res.json({ pending: server.inspect().pendingFailures });
  });
  router.post('/clear-failures', (req, res) => {
    const { endpoint } = z.object({ endpoint: z.enum(FAILURE_ENDPOINTS as [FailureEndpoint, ...FailureEndpoint[]]).optional() }).parse(req.body ?? {});
    server.clearFailures(endpoint);
    res.json({ pending: server.inspect().pendingFailures });
  });
  router.post('/revoke', (req, res) => {
    const { token } = z.object({ token: z.string() }).parse(req.body);
    res.json({ revoked: server.revoke(token) });
  });
  router.post('/revoke-all', (_req, res) => {
    server.revokeAll();
    res.json({ ok: true });
  });
  router.post('/revoke-access-tokens', (_req, res) => {
    server.revokeAccessTokens();
    res.json({ ok: true });
  });
  router.post('/user', (req, res) => {
    const { sub } = z.object({ sub: z.string().min(1) }).parse(req.body);
    server.setUser(sub);
    res.json({ user: sub });
  });
  router.post('/options', (req, res) => {
    server.setOptions(mutableOptionsSchema.parse(req.body) as MutableAuthServerOptions);
    res.json(server.options());
  });
  router.post('/clients', (req, res) => {
    const client = clientSchema.parse(req.body);
    server.registerClient({ clientId: client.clientId, redirectUris: client.redirectUris, ...(client.clientSecret !== undefined ? { clientSecret: client.clientSecret } : {}) });
    res.status(201).json({ clientId: client.clientId });
  });

  router.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (error instanceof z.ZodError) {
      res.status(400).json({ error: 'invalid_request', error_description: z.prettifyError(error) });
      return;
    }
    next(error);
  });
  return router;
}
