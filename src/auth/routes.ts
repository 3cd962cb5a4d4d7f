import express from 'express';
import type { Logger } from '../log/index.js';
import { DiscoveryError, SignInError, SignInStoreUnavailableError } from './errors.js';
import type { AuthManager } from './upstream-auth.js';

/**
 * The browser-facing OAuth routes: the redirect URI (`/oauth/callback`) and switchboard's client ID metadata document
 * (`/oauth/client-metadata.json`, used as client_id where the authorization server supports CIMD).
 */
export function authRoutes(manager: AuthManager, logger: Logger): express.Router {
  const router = express.Router();

  router.get('/oauth/client-metadata.json', (_req, res) => {
    res.type('application/json').set('cache-control', 'public, max-age=300').send(JSON.stringify(manager.clientMetadataDocument()));
  });

  router.get('/oauth/callback', async (req, res) => {
    const url = new URL(req.originalUrl, manager.publicUrl);
    try {
      const done = await manager.completeSignIn(url);
      res.status(200).type('html').send(page('Signed in', `You are signed in to ${done.server}. You can close this window and go back to your agent.`, true));
    } catch (error) {
      // Discovery may run again at the callback (the authorization server's metadata), so its failures are shown too.
      const known = error instanceof SignInError || error instanceof DiscoveryError;
      // The query holds the code and state: neither is logged. SignInError and DiscoveryError messages are secret-free
      // by design (URLs lose their query).
      logger.warn({ error: known ? error.message : 'unexpected error', kind: error instanceof Error ? error.name : typeof error }, 'sign-in callback failed');
      const message = known ? error.message : 'Something went wrong while completing the sign-in. Ask the agent to start it again.';
      if (error instanceof SignInStoreUnavailableError) {
        // RFC 9110 §15.6.4: the outage is temporary; Retry-After says when reloading is worth it.
        res.status(503).set('retry-after', '5').type('html').send(page('Try again in a moment', message, false));
        return;
      }
      res.status(400).type('html').send(page('Sign-in failed', message, false));
    }
  });
  return router;
}

function page(title: string, message: string, ok: boolean): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>switchboard: ${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{color:${ok ? '#1a7f37' : '#b42318'}}</style>
</head><body><h1>${escape(title)}</h1><p>${escape(message)}</p></body></html>
`;
}
