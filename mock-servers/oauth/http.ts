import type { Request, Response } from 'express';
import { OAuthErrorResponse } from './errors.js';
import type { InjectedFailure } from './failures.js';

/** Parses an application/x-www-form-urlencoded body (kept raw by `express.text`) keeping repeated keys such as `resource`. */
export function formParams(req: Request): URLSearchParams {
  return new URLSearchParams(typeof req.body === 'string' ? req.body : '');
}

/** Query parameters with every value kept (`req.query` would fold repeats into arrays of mixed type). */
export function queryParams(req: Request): URLSearchParams {
  const q = req.originalUrl.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : req.originalUrl.slice(q + 1));
}

/** First value of each key: the shape tests want to read in inspection records. */
export function firstValues(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of params) if (!(key in out)) out[key] = value;
  return out;
}

/** Rejects repeated parameters that the RFCs say MUST NOT repeat (RFC 6749 §3.1, §3.2). */
export function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new OAuthErrorResponse('invalid_request', `parameter ${name} repeated`);
  return values[0];
}

/** RFC 6749 §5.1: token responses must not be cached. */
export function noStore(res: Response): Response {
  return res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
}

export function sendOAuthError(res: Response, error: OAuthErrorResponse): void {
  noStore(res).status(error.status).set(error.headers).json(error.toJSON());
}

/**
 * Answers with an injected failure. Returns true when the request was consumed
 * (answered, or deliberately left hanging).
 */
export function sendInjectedFailure(res: Response, failure: InjectedFailure | undefined): boolean {
  if (failure === undefined) return false;
  if (failure === 'hang') return true;
  noStore(res)
    .status(failure.status)
    .json({ error: failure.error, ...(failure.description !== undefined ? { error_description: failure.description } : {}) });
  return true;
}

/** RFC 8707 §2: a resource indicator is an absolute URI without a fragment. */
export function isValidResourceIndicator(value: string): boolean {
  try {
    const url = new URL(value);
    return url.hash === '' && !value.includes('#');
  } catch {
    return false;
  }
}

export function scopeSet(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter((s) => s !== '');
}
