import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { toolCallParamsProblem } from '../session/index.js';

/** JSON-RPC 2.0 section 5.1 error codes this step answers with. */
const INVALID_REQUEST = -32600;
const INVALID_PARAMS = -32602;

type JsonRpcId = string | number | null;

interface Refusal {
  status: number;
  error: { code: number; message: string };
  id: JsonRpcId;
}

const Id = z.union([z.string(), z.number()]);
/** JSON-RPC 2.0 section 4: params, when present, is a structured value (object or array). */
const Params = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);
const RequestOrNotification = z.object({ jsonrpc: z.literal('2.0'), method: z.string(), id: Id.optional(), params: Params.optional() });
/** A client answers server-to-client requests (sampling, elicitation, roots) with responses on POST too. */
const Response_ = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: Id, result: z.record(z.string(), z.unknown()) }),
  z.object({ jsonrpc: z.literal('2.0'), id: Id.nullable(), error: z.object({ code: z.number().int(), message: z.string() }) }),
]);
const Message = z.union([RequestOrNotification, Response_]);

/**
 * The JSON-RPC envelope of a POST to /mcp, checked before any MCP transport sees it, so that malformed input gets the
 * error the specifications name whichever transport serves the session:
 * - MCP 2025-11-25 basic/transports#sending-messages-to-the-server: the body is JSON (`Content-Type: application/json`),
 *   else 415, on a session or not.
 * - JSON-RPC 2.0 section 5.1: valid JSON that is not a request object is an Invalid Request (-32600), not a parse
 *   error (-32700, which stays for text that is not JSON); section 6: an empty batch is answered with one -32600.
 * - tools/call params (MCP 2025-11-25 server/tools): a missing or non-string `name`, or `arguments` that is not an
 *   object, is Invalid Params (-32602) from switchboard itself, with a short message, and never reaches an upstream.
 * `sessionOpen` tells whether a session id names a session switchboard holds: a request on an unknown session is
 * answered 404 by the session layer, before its params matter.
 */
export function envelopeValidation(options: { sessionOpen: (id: string, res: Response) => boolean }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const refusal = checkEnvelope(req, (id) => options.sessionOpen(id, res));
    if (!refusal) return next();
    res.status(refusal.status).json({ jsonrpc: '2.0', error: refusal.error, id: refusal.id });
  };
}

function checkEnvelope(req: Request, sessionOpen: (id: string) => boolean): Refusal | undefined {
  if (!req.is(['application/json', 'application/*+json'])) {
    return { status: 415, error: { code: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' }, id: null };
  }
  const body: unknown = req.body;
  const messages = Array.isArray(body) ? body : [body];
  if (messages.length === 0) return invalidRequest('an empty batch', null);
  for (const message of messages) {
    if (isPlainRequest(message)) continue;
    const parsed = Message.safeParse(message);
    if (!parsed.success) return invalidRequest(describeInvalid(message), idOf(message));
  }
  const session = req.header('mcp-session-id');
  if (session !== undefined && !sessionOpen(session)) return undefined;
  for (const message of messages as z.infer<typeof Message>[]) {
    if (!('method' in message) || message.method !== 'tools/call' || message.id === undefined) continue;
    const problem = toolCallParamsProblem(message.params);
    // Answered like any JSON-RPC error to a request the server read: HTTP 200, the error in the body.
    if (problem) return { status: 200, error: { code: INVALID_PARAMS, message: problem }, id: message.id };
  }
  return undefined;
}

/**
 * The usual message, a request or notification of the plain shape, recognised without building zod's parse result
 * (with the parse, zod was about 2% of a relayed 2025 call's CPU in `npm run bench -- --profile`; under 1% without).
 * It accepts a subset of what `Message` accepts, so zod still decides, and words the error, for everything else.
 */
function isPlainRequest(message: unknown): boolean {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return false;
  const { jsonrpc, method, id, params } = message as { jsonrpc?: unknown; method?: unknown; id?: unknown; params?: unknown };
  return jsonrpc === '2.0' && typeof method === 'string'
    && (id === undefined || typeof id === 'string' || typeof id === 'number')
    && (params === undefined || (typeof params === 'object' && params !== null));
}

function invalidRequest(what: string, id: JsonRpcId): Refusal {
  return { status: 400, error: { code: INVALID_REQUEST, message: `Invalid Request: ${what}` }, id };
}

function describeInvalid(message: unknown): string {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    return `a JSON-RPC message must be an object, not ${message === null ? 'null' : Array.isArray(message) ? 'an array' : `a ${typeof message}`}`;
  }
  if ((message as { jsonrpc?: unknown }).jsonrpc !== '2.0') return 'a JSON-RPC message must have "jsonrpc": "2.0"';
  return 'not a JSON-RPC request, notification or response';
}

/** JSON-RPC 2.0 section 5: the id of the request when it can be read, else null. */
function idOf(message: unknown): JsonRpcId {
  const id = (message as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}
