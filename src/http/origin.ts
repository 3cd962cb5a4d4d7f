import cors from 'cors';
import type { NextFunction, Request, Response } from 'express';

/**
 * MCP 2025-11-25 basic/transports#security-warning: servers MUST validate the Origin header of incoming connections
 * and answer 403 when it is present and not allowed (DNS rebinding). Allowed: the public URL's origin, configured
 * origins and, when `sameOriginFromHost` is set, the origin the request was addressed to (its Host).
 *
 * The Host header is the attacker's choice in a DNS rebinding attack (the browser sends the rebound name), so the
 * origin derived from it may be trusted only where the Host itself is pinned: on loopback binds, where the Host check
 * admits loopback names only. On other binds a page served from the rebound name would otherwise pass as same-origin.
 */
export function originValidation(allowed: readonly string[], options: { sameOriginFromHost: boolean }) {
  const extra = new Set(allowed.map((origin) => origin.replace(/\/+$/, '').toLowerCase()));
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    const normalized = origin.toLowerCase();
    const host = options.sameOriginFromHost ? req.headers.host : undefined;
    const own = host ? [`http://${host}`, `https://${host}`].map((o) => o.toLowerCase()) : [];
    if (extra.has(normalized) || own.includes(normalized)) return next();
    res.status(403).json({ jsonrpc: '2.0', error: { code: -32000, message: `Forbidden: origin ${origin} is not allowed` }, id: null });
  };
}

/**
 * CORS for the browser pages originValidation admitted (it runs first and refuses every other origin, so the origin
 * is reflected as it is). A preflight is answered here, before the front door: the Fetch standard's CORS-preflight
 * request carries no credentials, so it could never pass a token check. Answers expose what a browser-based MCP
 * client must read: the session id, the protocol version and the 401's challenge. Allowed request headers are those
 * the preflight asks for (SEP-2243's `Mcp-Param-*` names vary per tool). Requests without an Origin (every
 * non-browser client) skip it.
 */
export function crossOriginAccess() {
  const answer = cors({
    origin: true,
    methods: ['GET', 'POST', 'DELETE'],
    exposedHeaders: ['Mcp-Session-Id', 'MCP-Protocol-Version', 'WWW-Authenticate', 'Retry-After'],
    maxAge: 600,
  });
  return (req: Request, res: Response, next: NextFunction): void => (req.headers.origin === undefined ? next() : answer(req, res, next));
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
