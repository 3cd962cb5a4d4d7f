import { isInputRequiredResult } from '@modelcontextprotocol/client';
import { UpstreamProtocolError } from './errors.js';
import type { PassThroughResult } from './catalog-listing.js';

/** The methods whose 2026-07-28 results may be input_required (MCP 2026-07-28, multi-round-trip requests). */
export const INPUT_REQUIRED_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** Bounds a server that keeps asking; the SDK's own driver stops at 10 rounds too. */
const MAX_ROUNDS = 10;

export interface InputRequest {
  method: string;
  params?: Record<string, unknown>;
}

/**
 * Relays a 2026-07-28 request whose result may be input_required (MRTR): each round's embedded requests
 * (sampling, elicitation, roots) go to the downstream client, and the request is sent again with their answers
 * (`inputResponses`) and the server's `requestState`, until the server answers with a complete result.
 * The SDK's own driver would answer the embedded requests with handlers of its own; here the answers come from the
 * client of the switchboard session that made the call. Each request goes with the server's key for it, so that a
 * 2026-07-28 client is asked under the same key (MCP 2026-07-28 basic/patterns/mrtr: `inputRequests` is a map whose
 * keys the server chose; `inputResponses` answers by them).
 */
export async function relayInputRequired(
  params: Record<string, unknown> | undefined,
  send: (params: Record<string, unknown> | undefined) => Promise<PassThroughResult>,
  ask: (request: InputRequest, key: string) => Promise<PassThroughResult>,
): Promise<PassThroughResult> {
  let current = params;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const result = await send(current);
    if (!isInputRequiredResult(result)) return result;
    const requests = (result as { inputRequests?: Record<string, InputRequest> }).inputRequests ?? {};
    const answers = await Promise.all(Object.entries(requests).map(async ([key, request]) => [key, await ask(request, key)] as const));
    const requestState = (result as { requestState?: unknown }).requestState;
    current = { ...params, inputResponses: Object.fromEntries(answers), ...(typeof requestState === 'string' && { requestState }) };
  }
  throw new UpstreamProtocolError(`the upstream still asked for input after ${MAX_ROUNDS} rounds`);
}
