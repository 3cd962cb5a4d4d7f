import {
  CLIENT_CAPABILITIES_META_KEY,
  createMcpHandler,
  inputRequired,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  Server,
  type InputRequest,
  type ListToolsResult,
  type CallToolResult,
  type McpHttpHandler,
  type McpServerFactory,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { MOCK_CAPABILITIES, type ListKind, type MockCatalog } from './catalog.js';
import { InputNeeded, type ClientAsk, type ToolCall, type ToolSession } from './tools.js';


/**
 * The mock served with SDK v2: one low-level `Server` per request over the shared catalog. It
 * answers both eras' requests the same way; which era reaches it is the HTTP layer's choice
 * (http.ts routes 2025 traffic to the sessionful SDK v1 server unless the mock is modern-only).
 */
export function modernServerFactory(catalog: MockCatalog): McpServerFactory {
  const session: ToolSession = {
    serverName: catalog.serverName,
    // A 2026 call is cancelled by closing its response stream; there is no session to outlive it.
    noteCancelled: (tool) => catalog.recordCancelled(tool),
  };
  return () => {
    const server = new Server(
      { name: catalog.serverName, version: '1.0.0' },
      { capabilities: MOCK_CAPABILITIES },
    );
    // The catalog's lists are SDK v1 types; the wire shape is the same in both SDKs.
    server.setRequestHandler('tools/list', async () => (await catalog.listed(() => catalog.listTools())) as unknown as ListToolsResult);
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const { name } = request.params;
      const tool = catalog.tool(name);
      if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
      const args = request.params.arguments ?? {};
      // A retried round (MRTR) is the same call, not a new one.
      if (catalog.recordCalls && ctx.mcpReq.inputResponses === undefined) catalog.recordCall({ tool: name, args });
      try {
        return (await tool.run(args, modernCall(ctx, catalog.serverName), session)) as unknown as CallToolResult;
      } catch (error) {
        if (!(error instanceof InputNeeded)) throw error;
        // MCP 2026-07-28: the server asks the client through an input_required result; the client retries with the answers.
        return inputRequired({ inputRequests: { [error.key]: error.request as InputRequest } });
      }
    });
    server.setRequestHandler('prompts/list', () => catalog.listed(() => catalog.listPrompts()));
    server.setRequestHandler('prompts/get', (request) => {
      const answer = catalog.getPrompt(request.params.name, request.params.arguments ?? {});
      if ('invalid' in answer) throw new ProtocolError(ProtocolErrorCode.InvalidParams, answer.invalid);
      return answer.result;
    });
    server.setRequestHandler('resources/list', () => catalog.listed(() => catalog.listResources()));
    server.setRequestHandler('resources/templates/list', () => catalog.listed(() => catalog.listResourceTemplates()));
    server.setRequestHandler('resources/read', (request) => {
      const found = catalog.readResource(request.params.uri);
      if (!found) throw new ResourceNotFoundError(request.params.uri);
      return found;
    });
    server.setRequestHandler('completion/complete', (request) => catalog.complete(request.params.argument.value));
    return server;
  };
}

/** Serves the catalog with `createMcpHandler`; its list changes reach clients on their listen streams. */
export function createModernHandler(catalog: MockCatalog): McpHttpHandler {
  // 2025 requests never reach this handler: a modern-only mock refuses them, a dual-era one serves them with sessions.
  const handler = createMcpHandler(modernServerFactory(catalog), { legacy: 'reject' });
  const notify: Record<ListKind, () => void> = {
    tools: () => handler.notify.toolsChanged(),
    prompts: () => handler.notify.promptsChanged(),
    resources: () => handler.notify.resourcesChanged(),
  };
  // For the mock's lifetime, as its HTTP server: stop() is a crash, and start() serves the same catalog again.
  catalog.onChange((kind) => notify[kind]());
  return handler;
}

/** A 2026 call: progress on the call's stream, logs by the request's own level, asks through input_required. */
function modernCall(ctx: ServerContext, serverName: string): ToolCall {
  const headers = ctx.http?.req ? Object.fromEntries(ctx.http.req.headers) : undefined;
  return {
    signal: ctx.mcpReq.signal,
    progressToken: ctx.mcpReq._meta?.progressToken,
    headers,
    notify: (notification) => ctx.mcpReq.notify(notification),
    log: (level, data) => ctx.mcpReq.log(level, data, serverName),
    ask: async (key: string, request: ClientAsk) => {
      // As the 2025 server refuses to send a request the client cannot answer, so does the tool: a refusal is its error.
      const capability = request.method.split('/')[0] ?? '';
      // The SDK moves the request's envelope keys out of `_meta` into `envelope` (typed empty, filled at run time).
      const declared = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as Record<string, unknown> | undefined;
      if (declared?.[capability] === undefined) throw new Error(`Client does not support ${capability} (required for ${request.method})`);
      const answer = ctx.mcpReq.inputResponses?.[key];
      if (answer !== undefined) return answer as Record<string, unknown>;
      throw new InputNeeded(key, request);
    },
  };
}
