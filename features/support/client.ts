import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';

export interface ClientBehaviour {
  capabilities?: ClientCapabilities;
  /** The text a sampling-capable client answers with. */
  samplingAnswer?: string;
  roots?: { uri: string; name: string }[];
}

/** A real MCP client session against switchboard that records what it is told. */
export class TestClient {
  readonly notifications: { method: string; params?: Record<string, unknown> }[] = [];
  readonly samplingRequests: unknown[] = [];
  readonly elicitationRequests: { mode?: string; message?: string; url?: string; elicitationId?: string }[] = [];
  lastResult: CallToolResult | undefined;
  lastError: Error | undefined;

  private constructor(readonly client: Client, readonly transport: StreamableHTTPClientTransport) {}

  static async connect(url: string, behaviour: ClientBehaviour = {}, headers: Record<string, string> = {}): Promise<TestClient> {
    const client = new Client({ name: 'bdd-client', version: '1.0.0' }, { capabilities: behaviour.capabilities ?? {} });
    const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
    const test = new TestClient(client, transport);
    const record = (method: string) => (notification: { params?: Record<string, unknown> }) => {
      test.notifications.push({ method, params: notification.params });
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, record('notifications/tools/list_changed'));
    client.setNotificationHandler(PromptListChangedNotificationSchema, record('notifications/prompts/list_changed'));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, record('notifications/resources/list_changed'));
    client.setNotificationHandler(LoggingMessageNotificationSchema, record('notifications/message'));
    if (behaviour.capabilities?.sampling) {
      client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
        test.samplingRequests.push(request.params);
        return { role: 'assistant', model: 'bdd-model', content: { type: 'text', text: behaviour.samplingAnswer ?? 'sampled' } };
      });
    }
    if (behaviour.capabilities?.elicitation) {
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        test.elicitationRequests.push(request.params as TestClient['elicitationRequests'][number]);
        return request.params.mode === 'url' ? { action: 'accept' } : { action: 'accept', content: { answer: 'forty-two' } };
      });
    }
    if (behaviour.capabilities?.roots) {
      client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: behaviour.roots ?? [] }));
    }
    await client.connect(transport);
    return test;
  }

  get sessionId(): string | undefined {
    return this.transport.sessionId;
  }

  count(method: string): number {
    return this.notifications.filter((n) => n.method === method).length;
  }

  async toolNames(): Promise<string[]> {
    return (await this.client.listTools()).tools.map((t) => t.name);
  }

  /** Calls a tool and keeps the result or the protocol error for later steps. */
  async call(name: string, args: Record<string, unknown> = {}, options: { onprogress?: (p: { progress: number }) => void; signal?: AbortSignal } = {}): Promise<void> {
    this.lastResult = undefined;
    this.lastError = undefined;
    try {
      this.lastResult = (await this.client.callTool({ name, arguments: args }, undefined, { ...options, timeout: 60_000 })) as CallToolResult;
    } catch (error) {
      this.lastError = error as Error;
    }
  }

  resultText(): string {
    if (!this.lastResult) throw new Error(`no result; the call failed with: ${this.lastError?.message}`);
    return this.lastResult.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
  }

  async close(): Promise<void> {
    await this.transport.terminateSession().catch(() => {});
    await this.client.close().catch(() => {});
  }
}
