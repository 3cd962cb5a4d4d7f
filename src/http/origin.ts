import type { NextFunction, Request, Response } from 'express';

/**
 * MCP 2025-11-25 basic/transports#security-warning: servers MUST validate the Origin header of incoming connections
 * and answer 403 when it is present and not allowed (DNS rebinding). Allowed: the origin the request was addressed to
 * (its Host, which the Host check pins to loopback on loopback binds), the public URL, and configured origins.
 */
export function originValidation(allowed: readonly string[]) {
  const extra = new Set(allowed.map((origin) => origin.replace(/\/+$/, '').toLowerCase()));
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    const normalized = origin.toLowerCase();
    const own = req.headers.host ? [`http://${req.headers.host}`, `https://${req.headers.host}`].map((o) => o.toLowerCase()) : [];
    if (extra.has(normalized) || own.includes(normalized)) return next();
    res.status(403).json({ jsonrpc: '2.0', error: { code: -32000, message: `Forbidden: origin ${origin} is not allowed` }, id: null });
  };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
