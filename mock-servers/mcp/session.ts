import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingLevelSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  type LoggingLevel,
} from '@modelcontextprotocol/sdk/types.js';
import { MOCK_CAPABILITIES, type ListKind, type MockCatalog } from './catalog.js';
import { askResults, type ToolCall, type ToolSession } from './tools.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

/** MCP server/resources: "Resource not found" (2025-11-25, Error Handling). */
const RESOURCE_NOT_FOUND = -32002;
const severity = (level: LoggingLevel): number => LoggingLevelSchema.options.indexOf(level);

/**
 * One MCP session of a mock: its own low-level `Server` over the shared catalog, plus what the
 * session knows that the catalog does not (log level, whether a notification stream is open).
 */
export class MockSession implements ToolSession {
  readonly server: Server;
  readonly serverName: string;
  /** Set before the server closes, so aborts caused by closing are not taken for client cancels. */
  closed = false;
  private logLevel: LoggingLevel | undefined;
  private notificationStream: object | undefined;
  private readonly pendingListChanged = new Set<ListKind>();
  private unsubscribe: (() => void) | undefined;

  /**
   * @param alwaysStreaming true when every notification has a channel (stdio, legacy SSE); false
   *   for Streamable HTTP, whose unrelated notifications need the client's GET stream.
   */
  constructor(
    private readonly catalog: MockCatalog,
    private readonly alwaysStreaming: boolean,
  ) {
    this.serverName = catalog.serverName;
    this.server = new Server(
      { name: catalog.serverName, version: '1.0.0' },
      { capabilities: MOCK_CAPABILITIES },
    );
    // Subscribed only once initialized: before that the client has not listed anything, and a
    // session whose initialize failed must not stay referenced by the catalog.
    this.server.oninitialized = () => {
      if (this.closed) return;
      this.unsubscribe ??= catalog.onChange((kind) => this.listChanged(kind));
      if (catalog.toolsChangedOnInitialized) this.listChanged('tools');
    };
    this.server.onclose = () => {
      this.closed = true;
      this.unsubscribe?.();
      this.onclose?.();
    };
    this.registerHandlers();
  }

  /** Called once when the session's server has closed, whoever closed it. */
  onclose: (() => void) | undefined;

  connect(transport: Transport): Promise<void> {
    return this.server.connect(transport);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.server.close().catch(() => undefined);
  }

  private logs(level: LoggingLevel): boolean {
    return this.logLevel === undefined || severity(level) >= severity(this.logLevel);
  }

  /** A 2025 call: notifications and requests to the client go on the call's own stream. */
  private toolCall(extra: RequestHandlerExtra<ServerRequest, ServerNotification>): ToolCall {
    return {
      signal: extra.signal,
      progressToken: extra._meta?.progressToken,
      headers: extra.requestInfo?.headers,
      notify: (notification) => extra.sendNotification(notification as ServerNotification),
      log: async (level, data) => {
        if (this.logs(level)) await extra.sendNotification({ method: 'notifications/message', params: { level, logger: this.serverName, data } });
      },
      ask: (_key, request) => extra.sendRequest(request as ServerRequest, askResults[request.method], { signal: extra.signal }),
    };
  }

  noteCancelled(tool: string): void {
    // The SDK aborts in-flight handlers synchronously inside its close path and only then calls
    // onclose; looking a turn later tells a client's notifications/cancelled from a closed session.
    setImmediate(() => {
      if (!this.closed) this.catalog.recordCancelled(tool);
    });
  }

  /**
   * The client opened (`stream` given) or lost its Streamable HTTP GET stream. list_changed
   * notifications that found no stream are sent when one opens, so a test that changes the
   * catalog right after connecting does not race the client's GET.
   */
  notificationStreamOpened(stream: object): void {
    this.notificationStream = stream;
    for (const kind of this.pendingListChanged) this.sendListChanged(kind);
    this.pendingListChanged.clear();
  }

  notificationStreamClosed(stream: object): void {
    if (this.notificationStream === stream) this.notificationStream = undefined;
  }

  private listChanged(kind: ListKind): void {
    if (this.closed) return;
    if (this.alwaysStreaming || this.notificationStream) this.sendListChanged(kind);
    else this.pendingListChanged.add(kind);
  }

  private sendListChanged(kind: ListKind): void {
    const sent =
      kind === 'tools' ? this.server.sendToolListChanged() : kind === 'prompts' ? this.server.sendPromptListChanged() : this.server.sendResourceListChanged();
    sent.catch(() => undefined);
  }

  private registerHandlers(): void {
    const { server, catalog } = this;

    server.setRequestHandler(ListToolsRequestSchema, () => catalog.listed(() => catalog.listTools()));
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
      const { name } = request.params;
      const tool = catalog.tool(name);
      if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
      const args = request.params.arguments ?? {};
      if (catalog.recordCalls) catalog.recordCall({ tool: name, args, session: extra.sessionId });
      return tool.run(args, this.toolCall(extra), this);
    });

    server.setRequestHandler(ListPromptsRequestSchema, () => catalog.listed(() => catalog.listPrompts()));
    server.setRequestHandler(GetPromptRequestSchema, (request) => {
      const answer = catalog.getPrompt(request.params.name, request.params.arguments ?? {});
      if ('invalid' in answer) throw new McpError(ErrorCode.InvalidParams, answer.invalid);
      return answer.result;
    });

    server.setRequestHandler(ListResourcesRequestSchema, () => catalog.listed(() => catalog.listResources()));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => catalog.listed(() => catalog.listResourceTemplates()));
    server.setRequestHandler(ReadResourceRequestSchema, (request) => {
      const found = catalog.readResource(request.params.uri);
      if (!found) throw new McpError(RESOURCE_NOT_FOUND, 'Resource not found', { uri: request.params.uri });
      return found;
    });

    server.setRequestHandler(CompleteRequestSchema, (request) => catalog.complete(request.params.argument.value));

    // Replaces the SDK's own handler: one Server per session, so the level is per session here.
    server.setRequestHandler(SetLevelRequestSchema, (request) => {
      this.logLevel = request.params.level;
      return {};
    });
  }
}
