import { Server, type InputRequiredResult, type Request, type ServerCapabilities, type ServerContext } from '@modelcontextprotocol/server';
import type { PrincipalView, RelayContext } from './view.js';

const CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { listChanged: true, subscribe: true },
  logging: {},
  completions: {},
};

/** How switchboard names itself to its clients (initialize, and each 2026-07-28 result's `_meta`). */
export const SERVER_INFO = { name: 'switchboard', version: '0.1.0' };

const INSTRUCTIONS = 'switchboard: the tools, prompts and resources of several MCP servers, each prefixed with its server name.';

/**
 * How a server face runs a relayed request. `relayed` serves the methods that may need the client's input on the way
 * (tools/call, prompts/get, resources/read): a legacy face pushes server-to-client requests on the live session, a
 * modern face answers with an input-required result instead (MRTR).
 */
export interface RequestRunner {
  /** `request`: the client's request as it came, whose retries must be the same request. */
  relayed<T>(ctx: ServerContext, request: Request, work: (relay: RelayContext) => Promise<T>): Promise<T | InputRequiredResult>;
}

/** The relay context of a request served straight (no input rounds). */
export function directRelay(ctx: ServerContext): RelayContext {
  return { signal: ctx.mcpReq.signal, requestId: ctx.mcpReq.id, sendNotification: (notification) => ctx.mcpReq.notify(notification) };
}

/**
 * A new 2026-07-28 request may carry input responses without a requestState: a server that keeps no state between
 * rounds is answered that way (basic/patterns/mrtr), so they go on to the upstream, whose questions they answer. A
 * retry of one of switchboard's own rounds carries switchboard's requestState instead; its answers belong to the
 * exchange that asked (modern.ts), not to a new upstream request.
 */
function withAnswers<P extends object>(params: P, ctx: ServerContext): P {
  const answers = ctx.mcpReq.inputResponses;
  if (answers === undefined || ctx.mcpReq.requestState() !== undefined) return params;
  return { ...params, inputResponses: answers };
}

/**
 * switchboard's MCP server face over a principal view, the same in both eras. The low-level Server takes the
 * upstreams' raw JSON Schemas as they are; its capabilities are declared before any handler is set (the SDK checks).
 */
export function createServerFace(view: PrincipalView, runner: RequestRunner, options: ConstructorParameters<typeof Server>[1] = {}): Server {
  const server = new Server(
    SERVER_INFO,
    { capabilities: CAPABILITIES, instructions: INSTRUCTIONS, ...options },
  );
  server.setRequestHandler('tools/list', () => view.listTools());
  server.setRequestHandler('tools/call', (request, ctx) => runner.relayed(ctx, request, (relay) => view.callTool(withAnswers(request.params, ctx), relay)));
  server.setRequestHandler('prompts/list', () => view.listPrompts());
  server.setRequestHandler('prompts/get', (request, ctx) => runner.relayed(ctx, request, (relay) => view.getPrompt(withAnswers(request.params, ctx), relay)) as never);
  server.setRequestHandler('resources/list', () => view.listResources());
  server.setRequestHandler('resources/templates/list', () => view.listResourceTemplates());
  server.setRequestHandler('resources/read', (request, ctx) => runner.relayed(ctx, request, (relay) => view.readResource(withAnswers(request.params, ctx), relay)) as never);
  server.setRequestHandler('completion/complete', (request, ctx) => view.complete(request.params, directRelay(ctx)) as never);
  return server;
}
