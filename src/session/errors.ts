import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';

/**
 * A request that switchboard itself refuses, answered as a JSON-RPC error object. Every such error of the session
 * area is one of these, so that its message is built in this one place: the bare text, never with a code prefix.
 *
 * JSON-RPC 2.0 section 5.1 carries the code in a member of its own, and a client's SDK puts it in front of the
 * message once (an SDK v1 client shows `MCP error -32602: <message>`). SDK v1's McpError, which built these errors
 * before switchboard served on SDK v2, puts that prefix into its own message, so the message sent already held it and
 * the client showed it twice (issue 6). SDK v2's ProtocolError keeps the message as given; this class is the one
 * place that relies on it.
 */
export abstract class RefusedRequestError extends ProtocolError {
  constructor(code: ProtocolErrorCode, text: string, data?: Record<string, unknown>) {
    super(code, text, data);
  }
}

/** What a client asks for by name or URI, and no server of its view offers. */
export type Offering = 'tool' | 'prompt' | 'resource';

/**
 * A tool, prompt or resource that no server of the view offers. MCP 2025-11-25 server/tools#error-handling and
 * server/prompts#error-handling: an unknown name is a protocol error, -32602. server/resources#error-handling: a
 * resource that is not found is one too; its data is exactly `{ uri }`, which SDK v2 clients read as
 * ResourceNotFoundError.
 */
export class NotOfferedError extends RefusedRequestError {
  override readonly name = 'NotOfferedError';
  constructor(readonly kind: Offering, readonly requested: string) {
    super(ProtocolErrorCode.InvalidParams, `unknown ${kind} "${requested}"`, { [kind === 'resource' ? 'uri' : kind]: requested });
  }
}

/**
 * Answers (2026-07-28 input responses) to a call that is no longer in flight. 2026-07-28 basic/patterns/mrtr: the
 * client starts the call again. `ended`: it expired between rounds or was cancelled; `lost`: the switchboard replica
 * that held it is gone, or stopped answering.
 */
export class CallEndedError extends RefusedRequestError {
  override readonly name = 'CallEndedError';
  constructor(readonly kind: 'ended' | 'lost' = 'ended') {
    super(ProtocolErrorCode.InvalidParams, kind === 'ended'
      ? 'The call these answers belong to has ended (it expired or was cancelled); call again.'
      : 'The call these answers belong to was lost: the switchboard replica that held it is gone; make the call again.');
  }
}

/**
 * The JSON-RPC error that the replica holding a call answered a forwarded round with, passed on to the client as it
 * came (its code, message and data were the holder's own refusal).
 */
export class HeldRoundError extends RefusedRequestError {
  override readonly name = 'HeldRoundError';
  constructor(code: number, message: string, data?: unknown) {
    super(code, message, data as Record<string, unknown> | undefined);
  }
}

/**
 * A retry whose requestState was minted for another request (another tool, prompt or resource, or other arguments).
 * 2026-07-28 basic/patterns/mrtr: a client retries the original request; a state that does not belong to it is invalid.
 */
export class ForeignRequestStateError extends RefusedRequestError {
  override readonly name = 'ForeignRequestStateError';
  constructor() {
    super(ProtocolErrorCode.InvalidParams, 'This requestState belongs to another request: retry the request it was given for, with the same arguments.');
  }
}

/**
 * An upstream's request (sampling, elicitation, roots) that no client can answer, refused back to the upstream.
 * `no-client`: the view has no downstream face yet; `outside-call`: a 2026-07-28 client is asked only during one of
 * its calls (basic/patterns/mrtr); `missing-capability`: the client did not declare `subject`, which the request needs.
 */
export class UnanswerableRequestError extends RefusedRequestError {
  override readonly name = 'UnanswerableRequestError';
  constructor(readonly kind: 'no-client' | 'outside-call' | 'missing-capability', subject: string) {
    super(UNANSWERABLE[kind].code, UNANSWERABLE[kind].text(subject));
  }
}

// A capability the client did not declare is MissingRequiredClientCapability: the call that asked ends with a tool
// error naming it (PrincipalView.callTool), as it would with a server that knew.
const UNANSWERABLE = {
  'no-client': { code: ProtocolErrorCode.InternalError, text: (method: string) => `no client to forward ${method} to` },
  'outside-call': { code: ProtocolErrorCode.InvalidRequest, text: (method: string) => `${method} can reach a 2026-07-28 client only during one of its calls` },
  'missing-capability': { code: ProtocolErrorCode.MissingRequiredClientCapability, text: (capability: string) => `the client does not support ${capability}` },
} as const;
