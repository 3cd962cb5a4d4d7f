import type { Request } from 'express';
import { CLIENT_CAPABILITIES_META_KEY, LOG_LEVEL_META_KEY, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';

/** A 2026-07-28 tools/call that switchboard may answer without the SDK's per-request server (see directModernCall). */
export interface DirectModernCall {
  id: string | number;
  params: { name: string; arguments?: Record<string, unknown> };
}

type Meta = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The 2026-07-28 tools/call requests that nothing but their result can answer, so that one JSON object is the whole
 * answer (MCP 2026-07-28 basic/transports: a request is answered with `application/json` or an SSE stream):
 * - no progress token and no log level (nothing to stream before the result);
 * - a client that declared neither sampling, elicitation nor roots (nothing to ask it: no input rounds);
 * - no input responses or request state (a first round), no task;
 * - headers that agree with the body as the SDK checks them (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`), and
 *   a plain tool name.
 * Anything else, and anything unusual, goes to the SDK's handler, which answers or refuses it as the spec says.
 */
export function directModernCall(req: Request): DirectModernCall | undefined {
  const message = req.body as unknown;
  if (!isPlainObject(message) || message.jsonrpc !== '2.0' || message.method !== 'tools/call') return undefined;
  const { id, params } = message;
  if ((typeof id !== 'string' && typeof id !== 'number') || !isPlainObject(params)) return undefined;
  const { name, arguments: args, _meta: meta } = params;
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(name)) return undefined;
  if (args !== undefined && !isPlainObject(args)) return undefined;
  if (!isPlainObject(meta) || !quiet(meta) || 'task' in params || 'inputResponses' in params || 'requestState' in params) return undefined;
  const version = meta[PROTOCOL_VERSION_META_KEY];
  if (typeof version !== 'string' || req.header('mcp-protocol-version') !== version) return undefined;
  if (req.header('mcp-method') !== 'tools/call' || req.header('mcp-name') !== name) return undefined;
  if (!(req.header('accept') ?? '').includes('application/json')) return undefined;
  return { id, params: { name, ...(args !== undefined && { arguments: args as Record<string, unknown> }) } };
}

function quiet(meta: Meta): boolean {
  const capabilities = meta[CLIENT_CAPABILITIES_META_KEY];
  if (!isPlainObject(capabilities) || 'sampling' in capabilities || 'elicitation' in capabilities || 'roots' in capabilities) return false;
  return meta.progressToken === undefined && meta[LOG_LEVEL_META_KEY] === undefined;
}
