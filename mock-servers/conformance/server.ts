import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
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
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type ElicitRequestFormParams,
  type GetPromptResult,
  type LoggingLevel,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { RED_PIXEL_PNG_BASE64, SILENT_WAV_BASE64 } from './media.js';

/**
 * The upstream the official MCP conformance suite (@modelcontextprotocol/conformance 0.1.16 and 0.2.x, server mode) expects:
 * every tool, resource, template and prompt its scenarios name, answering as their descriptions say. Written from
 * those descriptions; the scenario each item serves is named beside it.
 *
 * One `Server` per session (the Streamable HTTP host in http.ts creates them), so per-session state such as the
 * logging level and resource subscriptions lives in the closure of `createConformanceServer`.
 */

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
type ToolHandler = (args: Record<string, unknown>, extra: Extra) => Promise<CallToolResult>;

/** MCP 2025-11-25 server/resources#error-handling: "Resource not found" is -32002. */
const RESOURCE_NOT_FOUND = -32002;
const STEP_DELAY_MS = 50;
/** test_reconnection: before it closes its stream, and (twice this) before it answers. */
const RECONNECTION_DELAY_MS = 100;

const NO_ARGUMENTS = { type: 'object', properties: {} } as const;

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => {
    clearTimeout(timer);
    resolve();
  }, { once: true });
});

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

// --- resources (resources-list, resources-read-text, resources-read-binary, resources-subscribe/unsubscribe) ---

const STATIC_TEXT = 'This is the content of the static text resource.';

const RESOURCES: readonly Resource[] = [
  { uri: 'test://static-text', name: 'static-text', description: 'A static text resource', mimeType: 'text/plain' },
  { uri: 'test://static-binary', name: 'static-binary', description: 'A static binary resource: a 1x1 red PNG', mimeType: 'image/png' },
  // Listed so that a client (or an aggregator routing by listed URIs) can subscribe to it.
  { uri: 'test://watched-resource', name: 'watched-resource', description: 'A resource clients may subscribe to', mimeType: 'text/plain' },
];

// resources-templates-read
const DATA_TEMPLATE: ResourceTemplate = {
  uriTemplate: 'test://template/{id}/data',
  name: 'template-data',
  description: 'JSON data for an id',
  mimeType: 'application/json',
};
const dataTemplate = new UriTemplate(DATA_TEMPLATE.uriTemplate);

function readResource(uri: string): ReadResourceResult {
  switch (uri) {
    case 'test://static-text':
      return { contents: [{ uri, mimeType: 'text/plain', text: STATIC_TEXT }] };
    case 'test://static-binary':
      return { contents: [{ uri, mimeType: 'image/png', blob: RED_PIXEL_PNG_BASE64 }] };
    case 'test://watched-resource':
      return { contents: [{ uri, mimeType: 'text/plain', text: 'The watched resource.' }] };
  }
  const match = dataTemplate.match(uri);
  const id = match?.id;
  if (typeof id === 'string') {
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] };
  }
  throw new McpError(RESOURCE_NOT_FOUND, 'Resource not found', { uri });
}

// --- prompts (prompts-list, prompts-get-*) ---

const PROMPTS: readonly Prompt[] = [
  { name: 'test_simple_prompt', description: 'A prompt without arguments' },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two required arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds a resource',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
  },
  { name: 'test_prompt_with_image', description: 'A prompt with an image' },
];

function requiredArgument(args: Record<string, string> | undefined, name: string): string {
  const value = args?.[name];
  if (value === undefined) throw new McpError(ErrorCode.InvalidParams, `missing required argument "${name}"`);
  return value;
}

function getPrompt(name: string, args: Record<string, string> | undefined): GetPromptResult {
  switch (name) {
    case 'test_simple_prompt':
      return { messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] };
    case 'test_prompt_with_arguments': {
      const arg1 = requiredArgument(args, 'arg1');
      const arg2 = requiredArgument(args, 'arg2');
      return { messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] };
    }
    case 'test_prompt_with_embedded_resource': {
      const uri = requiredArgument(args, 'resourceUri');
      return {
        messages: [
          { role: 'user', content: { type: 'resource', resource: { uri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
          { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
        ],
      };
    }
    case 'test_prompt_with_image':
      return {
        messages: [
          { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' } },
          { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
        ],
      };
  }
  throw new McpError(ErrorCode.InvalidParams, `unknown prompt "${name}"`);
}

// --- completion (completion-complete) ---

const COMPLETIONS: Record<string, readonly string[]> = {
  'ref/prompt:test_prompt_with_arguments:arg1': ['paris', 'park', 'party', 'test', 'testValue1'],
  'ref/prompt:test_prompt_with_arguments:arg2': ['world', 'testValue2'],
  [`ref/resource:${DATA_TEMPLATE.uriTemplate}:id`]: ['1', '123', '42'],
};

// --- elicitation schemas ---

// tools-call-elicitation
const USER_INFO_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    username: { type: 'string', description: "User's response" },
    email: { type: 'string', description: "User's email address" },
  },
  required: ['username', 'email'],
};

// elicitation-sep1034-defaults: a default for every primitive type
const DEFAULTS_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Name', default: 'John Doe' },
    age: { type: 'integer', description: 'Age', default: 30 },
    score: { type: 'number', description: 'Score', default: 95.5 },
    status: { type: 'string', description: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
    verified: { type: 'boolean', description: 'Verified', default: true },
  },
};

// elicitation-sep1330-enums: the five enum forms of SEP-1330
const ENUMS_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    untitledSingle: { type: 'string', description: 'Untitled single-select', enum: ['option1', 'option2', 'option3'] },
    titledSingle: {
      type: 'string',
      description: 'Titled single-select',
      oneOf: [
        { const: 'value1', title: 'First Option' },
        { const: 'value2', title: 'Second Option' },
        { const: 'value3', title: 'Third Option' },
      ],
    },
    legacyEnum: {
      type: 'string',
      description: 'Legacy titled enum (deprecated enumNames)',
      enum: ['opt1', 'opt2', 'opt3'],
      enumNames: ['Option One', 'Option Two', 'Option Three'],
    },
    untitledMulti: { type: 'array', description: 'Untitled multi-select', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
    titledMulti: {
      type: 'array',
      description: 'Titled multi-select',
      items: {
        anyOf: [
          { const: 'value1', title: 'First Choice' },
          { const: 'value2', title: 'Second Choice' },
          { const: 'value3', title: 'Third Choice' },
        ],
      },
    },
  },
};

/** Creates the MCP server of one session. */
export function createConformanceServer(): Server {
  const server = new Server(
    { name: 'switchboard-conformance-fixture', version: '0.1.0' },
    {
      capabilities: {
        tools: {},
        resources: { subscribe: true },
        prompts: {},
        logging: {},
        completions: {},
      },
    },
  );
  let logLevel: LoggingLevel | undefined;
  const subscriptions = new Set<string>();

  /** MCP 2025-11-25 server/utilities/logging: only messages at or above the level the client set are sent. */
  const log = async (extra: Extra, level: LoggingLevel, data: string) => {
    const order = LoggingLevelSchema.options;
    if (logLevel && order.indexOf(level) < order.indexOf(logLevel)) return;
    await extra.sendNotification({ method: 'notifications/message', params: { level, logger: 'conformance-fixture', data } });
  };

  const elicit = async (extra: Extra, message: string, requestedSchema: ElicitRequestFormParams['requestedSchema']) => {
    if (!server.getClientCapabilities()?.elicitation) return undefined;
    return extra.sendRequest({ method: 'elicitation/create', params: { mode: 'form', message, requestedSchema } }, ElicitResultSchema);
  };

  const tools: { tool: Tool; handler: ToolHandler }[] = [
    {
      // tools-call-simple-text
      tool: { name: 'test_simple_text', description: 'Returns simple text content', inputSchema: NO_ARGUMENTS },
      handler: async () => text('This is a simple text response for testing.'),
    },
    {
      // tools-call-image
      tool: { name: 'test_image_content', description: 'Returns image content (a 1x1 red PNG)', inputSchema: NO_ARGUMENTS },
      handler: async () => ({ content: [{ type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' }] }),
    },
    {
      // tools-call-audio
      tool: { name: 'test_audio_content', description: 'Returns audio content (a short silent WAV)', inputSchema: NO_ARGUMENTS },
      handler: async () => ({ content: [{ type: 'audio', data: SILENT_WAV_BASE64, mimeType: 'audio/wav' }] }),
    },
    {
      // tools-call-embedded-resource
      tool: { name: 'test_embedded_resource', description: 'Returns an embedded resource', inputSchema: NO_ARGUMENTS },
      handler: async () => ({
        content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
      }),
    },
    {
      // tools-call-mixed-content
      tool: { name: 'test_multiple_content_types', description: 'Returns text, image and resource content', inputSchema: NO_ARGUMENTS },
      handler: async () => ({
        content: [
          { type: 'text', text: 'Multiple content types test:' },
          { type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' },
          { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
        ],
      }),
    },
    {
      // tools-call-with-logging: three info messages, ~50 ms apart, while the call runs
      tool: { name: 'test_tool_with_logging', description: 'Sends three log messages while it runs', inputSchema: NO_ARGUMENTS },
      handler: async (_args, extra) => {
        await log(extra, 'info', 'Tool execution started');
        await sleep(STEP_DELAY_MS, extra.signal);
        await log(extra, 'info', 'Tool processing data');
        await sleep(STEP_DELAY_MS, extra.signal);
        await log(extra, 'info', 'Tool execution completed');
        return text('Tool with logging executed successfully');
      },
    },
    {
      // tools-call-error: a tool execution error is a result with isError, not a JSON-RPC error (server/tools#error-handling)
      tool: { name: 'test_error_handling', description: 'Always fails with a tool execution error', inputSchema: NO_ARGUMENTS },
      handler: async () => ({ isError: true, content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }] }),
    },
    {
      // tools-call-with-progress: 0, 50, 100 of 100, ~50 ms apart, when the request carries a progress token
      tool: { name: 'test_tool_with_progress', description: 'Reports progress 0, 50 and 100 of 100', inputSchema: NO_ARGUMENTS },
      handler: async (_args, extra) => {
        const progressToken = extra._meta?.progressToken;
        for (const [index, progress] of [0, 50, 100].entries()) {
          if (index > 0) await sleep(STEP_DELAY_MS, extra.signal);
          if (progressToken !== undefined) {
            await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total: 100 } });
          }
        }
        return text(`Tool with progress executed successfully${progressToken === undefined ? ' (no progress token was given)' : ''}`);
      },
    },
    {
      // tools-call-sampling
      tool: {
        name: 'test_sampling',
        description: 'Asks the client for an LLM completion of a prompt',
        inputSchema: { type: 'object', properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } }, required: ['prompt'] },
      },
      handler: async (args, extra) => {
        if (!server.getClientCapabilities()?.sampling) return { isError: true, content: [{ type: 'text', text: 'The client does not support sampling' }] };
        const result = await extra.sendRequest({
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt ?? '') } }], maxTokens: 100 },
        }, CreateMessageResultSchema);
        const content = result.content;
        const reply = !Array.isArray(content) && content.type === 'text' ? content.text : JSON.stringify(content);
        return text(`LLM response: ${reply}`);
      },
    },
    {
      // tools-call-elicitation
      tool: {
        name: 'test_elicitation',
        description: 'Asks the user for a username and an email address',
        inputSchema: { type: 'object', properties: { message: { type: 'string', description: 'The message to show the user' } }, required: ['message'] },
      },
      handler: async (args, extra) => {
        const result = await elicit(extra, String(args.message ?? ''), USER_INFO_SCHEMA);
        if (!result) return { isError: true, content: [{ type: 'text', text: 'The client does not support elicitation' }] };
        return text(`User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
      },
    },
    {
      // elicitation-sep1034-defaults
      tool: { name: 'test_elicitation_sep1034_defaults', description: 'Elicitation with a default for every primitive type (SEP-1034)', inputSchema: NO_ARGUMENTS },
      handler: async (_args, extra) => {
        const result = await elicit(extra, 'Please review and update the form fields with defaults', DEFAULTS_SCHEMA);
        if (!result) return { isError: true, content: [{ type: 'text', text: 'The client does not support elicitation' }] };
        return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
      },
    },
    {
      // elicitation-sep1330-enums
      tool: { name: 'test_elicitation_sep1330_enums', description: 'Elicitation with the five enum forms of SEP-1330', inputSchema: NO_ARGUMENTS },
      handler: async (_args, extra) => {
        const result = await elicit(extra, 'Please pick from the enum fields', ENUMS_SCHEMA);
        if (!result) return { isError: true, content: [{ type: 'text', text: 'The client does not support elicitation' }] };
        return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
      },
    },
    {
      // json-schema-2020-12: the listing must keep $schema, $defs and additionalProperties (SEP-1613), and the
      // $anchor, allOf/anyOf and if/then/else keywords (SEP-2106, checked by the 0.2 suite).
      tool: {
        name: 'json_schema_2020_12_tool',
        description: 'Tool with JSON Schema 2020-12 features',
        inputSchema: {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          type: 'object',
          $defs: { address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
          properties: {
            name: { type: 'string' },
            address: { $ref: '#/$defs/address' },
            contactMethod: { type: 'string', enum: ['phone', 'email'] },
            phone: { type: 'string' },
            email: { type: 'string' },
          },
          allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
          if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
          then: { required: ['phone'] },
          else: { required: ['email'] },
          additionalProperties: false,
        },
      },
      handler: async (args) => text(`Received: ${JSON.stringify(args)}`),
    },
    {
      // server-sse-polling (SEP-1699): the server ends the call's SSE stream before it answers; the answer waits in
      // the event store for the client's GET with Last-Event-ID.
      tool: { name: 'test_reconnection', description: 'Closes its SSE stream mid-call and answers after the client reconnects', inputSchema: NO_ARGUMENTS },
      handler: async (_args, extra) => {
        await sleep(RECONNECTION_DELAY_MS, extra.signal);
        extra.closeSSEStream?.();
        await sleep(RECONNECTION_DELAY_MS * 2, extra.signal);
        return text(extra.closeSSEStream ? 'Reconnection test completed' : 'Reconnection test completed (no event store: the stream stayed open)');
      },
    },
  ];
  const handlers = new Map(tools.map(({ tool, handler }) => [tool.name, handler]));

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: tools.map((t) => t.tool) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const handler = handlers.get(request.params.name);
    // MCP 2025-11-25 server/tools#error-handling: an unknown tool is a protocol error.
    if (!handler) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${request.params.name}"`);
    return handler(request.params.arguments ?? {}, extra);
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [...RESOURCES] }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: [DATA_TEMPLATE] }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => readResource(request.params.uri));
  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    readResource(request.params.uri); // an unknown URI is refused with -32002
    subscriptions.add(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: [...PROMPTS] }));
  server.setRequestHandler(GetPromptRequestSchema, async (request) => getPrompt(request.params.name, request.params.arguments));

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const { ref, argument } = request.params;
    const key = `${ref.type}:${ref.type === 'ref/prompt' ? ref.name : ref.uri}:${argument.name}`;
    const values = (COMPLETIONS[key] ?? []).filter((value) => value.startsWith(argument.value));
    return { completion: { values, total: values.length, hasMore: false } };
  });

  // Replaces the SDK's own handler: the level is kept per session here, where `log` reads it.
  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    logLevel = request.params.level;
    return {};
  });

  return server;
}
