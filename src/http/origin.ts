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
 *
 * With `cors`, a page of an allowed origin also gets CORS answers (the origin reflected, since every other one was
 * refused). A preflight is answered here, before the front door: the Fetch standard's CORS-preflight request carries
 * no credentials, so it could never pass a token check. Answers expose what a browser-based MCP client must read: the
 * session id, the protocol version and the 401's challenge. Allowed request headers are those the preflight asks for
 * (SEP-2243's `Mcp-Param-*` names vary per tool). Requests without an Origin (every non-browser client) pass at once.
 */
export function originValidation(allowed: readonly string[], options: { sameOriginFromHost: boolean; cors?: boolean }) {
  const extra = new Set(allowed.map((origin) => origin.replace(/\/+$/, '').toLowerCase()));
  const crossOrigin = options.cors ? cors({ origin: true, methods: ['GET', 'POST', 'DELETE'], exposedHeaders: EXPOSED_HEADERS, maxAge: 600 }) : undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    const normalized = origin.toLowerCase();
    const host = options.sameOriginFromHost ? req.headers.host : undefined;
    const own = host ? [`http://${host}`, `https://${host}`].map((o) => o.toLowerCase()) : [];
    if (extra.has(normalized) || own.includes(normalized)) return crossOrigin ? crossOrigin(req, res, next) : next();
    res.status(403).json({ jsonrpc: '2.0', error: { code: -32000, message: `Forbidden: origin ${origin} is not allowed` }, id: null });
  };
}

const EXPOSED_HEADERS = ['Mcp-Session-Id', 'MCP-Protocol-Version', 'WWW-Authenticate', 'Retry-After'];

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
