import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { CompleteResult, GetPromptResult, ListPromptsResult, ListResourcesResult, ListResourceTemplatesResult, ListToolsResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { compileTool, type CompiledTool } from './tools.js';
import type { MockCall, MockMcpSpec, MockPrompt, MockResource, MockResourceTemplate, MockTool } from './types.js';

export type ListKind = 'tools' | 'prompts' | 'resources';

const COMPLETION_VALUES = ['alpha', 'beta', 'gamma'];

/** What a mock declares in either era: its lists change, and it logs and completes. */
export const MOCK_CAPABILITIES = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { listChanged: true },
  logging: {},
  completions: {},
};

/**
 * What one mock offers and what happened to it, shared by all of its sessions. List results are
 * built once per change, not per request, so listing stays cheap in benchmarks.
 */
export class MockCatalog {
  readonly serverName: string;
  readonly recordCalls: boolean;
  readonly listDelayMs: number;
  readonly toolsChangedOnInitialized: boolean;
  private readonly tools = new Map<string, CompiledTool>();
  private readonly prompts = new Map<string, MockPrompt>();
  private readonly resources = new Map<string, MockResource>();
  private readonly templates: { template: MockResourceTemplate; matcher: UriTemplate }[];
  private readonly callLog: MockCall[] = [];
  private readonly cancelledLog: string[] = [];
  private readonly changeListeners = new Set<(kind: ListKind) => void>();
  private toolList: ListToolsResult | undefined;
  private promptList: ListPromptsResult | undefined;
  private resourceList: ListResourcesResult | undefined;
  private readonly templateList: ListResourceTemplatesResult;

  constructor(spec: MockMcpSpec, options: { recordCalls?: boolean } = {}) {
    this.serverName = spec.name;
    this.recordCalls = options.recordCalls ?? true;
    this.listDelayMs = spec.listDelayMs ?? 0;
    this.toolsChangedOnInitialized = spec.toolsChangedOnInitialized ?? false;
    for (const tool of spec.tools ?? [{ name: 'echo' }]) this.tools.set(tool.name, compileTool(tool));
    for (const prompt of spec.prompts ?? []) this.prompts.set(prompt.name, prompt);
    for (const resource of spec.resources ?? []) this.resources.set(resource.uri, resource);
    this.templates = (spec.resourceTemplates ?? []).map((template) => ({ template, matcher: new UriTemplate(template.uriTemplate) }));
    this.templateList = { resourceTemplates: this.templates.map(({ template }) => ({ uriTemplate: template.uriTemplate, name: template.name, mimeType: 'text/plain' })) };
  }

  /** Answers a list request, after the spec's listDelayMs. */
  async listed<T>(list: () => T): Promise<T> {
    if (this.listDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.listDelayMs));
    return list();
  }

  /** Called with the kind of list that changed; returns an unsubscribe function. */
  onChange(listener: (kind: ListKind) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  tool(name: string): CompiledTool | undefined {
    return this.tools.get(name);
  }

  listTools(): ListToolsResult {
    this.toolList ??= { tools: [...this.tools.values()].map((tool) => tool.definition) };
    return this.toolList;
  }

  addTool(tool: MockTool): void {
    this.tools.set(tool.name, compileTool(tool));
    this.toolList = undefined;
    this.changed('tools');
  }

  removeTool(name: string): void {
    if (!this.tools.delete(name)) return;
    this.toolList = undefined;
    this.changed('tools');
  }

  prompt(name: string): MockPrompt | undefined {
    return this.prompts.get(name);
  }

  /**
   * The answer to prompts/get, or why the request is invalid: each era's server sends that as its own -32602
   * (MCP 2025-11-25 server/prompts#error-handling).
   */
  getPrompt(name: string, args: Record<string, string>): { result: GetPromptResult } | { invalid: string } {
    const prompt = this.prompts.get(name);
    if (!prompt) return { invalid: `Unknown prompt: ${name}` };
    const missing = (prompt.arguments ?? []).filter((a) => a.required && args[a.name] === undefined).map((a) => a.name);
    if (missing.length > 0) return { invalid: `Missing required arguments: ${missing.join(', ')}` };
    return {
      result: {
        ...(prompt.description !== undefined && { description: prompt.description }),
        messages: [{ role: 'user', content: { type: 'text', text: `prompt ${name} from ${this.serverName} args ${JSON.stringify(args)}` } }],
      },
    };
  }

  listPrompts(): ListPromptsResult {
    this.promptList ??= {
      prompts: [...this.prompts.values()].map((prompt) => ({
        name: prompt.name,
        ...(prompt.description !== undefined && { description: prompt.description }),
        ...(prompt.arguments !== undefined && { arguments: prompt.arguments }),
      })),
    };
    return this.promptList;
  }

  addPrompt(prompt: MockPrompt): void {
    this.prompts.set(prompt.name, prompt);
    this.promptList = undefined;
    this.changed('prompts');
  }

  removePrompt(name: string): void {
    if (!this.prompts.delete(name)) return;
    this.promptList = undefined;
    this.changed('prompts');
  }

  listResources(): ListResourcesResult {
    this.resourceList ??= {
      resources: [...this.resources.values()].map((resource) => ({
        uri: resource.uri,
        name: resource.name,
        ...(resource.mimeType !== undefined && { mimeType: resource.mimeType }),
      })),
    };
    return this.resourceList;
  }

  listResourceTemplates(): ListResourceTemplatesResult {
    return this.templateList;
  }

  /** resources/read's answer, or undefined for a URI this mock does not know. */
  readResource(uri: string): ReadResourceResult | undefined {
    const found = this.resourceText(uri);
    return found && { contents: [{ uri, mimeType: found.mimeType, text: found.text }] };
  }

  complete(value: string): CompleteResult {
    const values = COMPLETION_VALUES.filter((v) => v.startsWith(value));
    return { completion: { values, total: values.length, hasMore: false } };
  }

  /** The text behind a URI: a listed resource first, then the first matching template. */
  private resourceText(uri: string): { mimeType: string; text: string } | undefined {
    const resource = this.resources.get(uri);
    if (resource) return { mimeType: resource.mimeType ?? 'text/plain', text: resource.text };
    for (const { matcher } of this.templates) {
      if (matcher.match(uri)) return { mimeType: 'text/plain', text: `${this.serverName}:${uri}` };
    }
    return undefined;
  }

  addResource(resource: MockResource): void {
    this.resources.set(resource.uri, resource);
    this.resourceList = undefined;
    this.changed('resources');
  }

  removeResource(uri: string): void {
    if (!this.resources.delete(uri)) return;
    this.resourceList = undefined;
    this.changed('resources');
  }

  recordCall(call: MockCall): void {
    this.callLog.push(call);
  }

  recordCancelled(tool: string): void {
    this.cancelledLog.push(tool);
  }

  calls(): MockCall[] {
    return [...this.callLog];
  }

  cancelled(): string[] {
    return [...this.cancelledLog];
  }

  private changed(kind: ListKind): void {
    for (const listener of this.changeListeners) listener(kind);
  }
}
