import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  acceptedContent,
  CLIENT_CAPABILITIES_META_KEY,
  createMcpHandler,
  createRequestStateCodec,
  fromJsonSchema,
  inputRequired,
  inputResponse,
  McpServer,
  type CallToolResult,
  type ClientCapabilities,
  type GetPromptResult,
  type InputRequiredResult,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';

/**
 * The part of the conformance fixture that only a 2026-07-28 server can be: tools and a prompt that answer with
 * input-required results (MRTR, SEP-2322), the stateless diagnostics of SEP-2575 and a tool whose parameter is
 * mirrored into an `Mcp-Param-*` header (SEP-2243). Written from the descriptions of the 0.2 suite's
 * input-required-result-*, server-stateless and http-custom-header-server-validation scenarios; each item names the
 * scenario it serves.
 *
 * An SDK v2 `McpServer` per request (`createMcpHandler`), serving both eras: a 2026-07-28 client gets the
 * input-required results as they are; a 2025-11-25 session gets them through the SDK's legacy shim, as real
 * elicitation, sampling and roots requests. switchboard reaches it in the modern era (its probe finds
 * `server/discover`); it sits beside the 2025-era fixture (server.ts), whose tools switchboard reaches in the legacy
 * era, so the suite sees both kinds of upstream through one switchboard.
 */

const NAME_SCHEMA = { type: 'object' as const, properties: { name: { type: 'string' as const } }, required: ['name'] };
const NAME = z.object({ name: z.string() });

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
const NO_ARGUMENTS = z.object({});

type Outcome = Promise<CallToolResult | InputRequiredResult>;

/** The lists the trigger tools grow (server-stateless), shared by the servers of all requests. */
interface Mutations {
  tools: number;
  prompts: number;
  notify: { toolsChanged(): void; promptsChanged(): void };
}

/** Creates the server of one request; `states` signs the requestState of every flow (HMAC, one key per fixture). */
function createModernServer(states: ReturnType<typeof createRequestStateCodec<{ step: string }>>, mutations: Mutations): McpServer {
  const server = new McpServer(
    { name: 'switchboard-conformance-fixture-2026', version: '0.1.0' },
    // MRTR: requestState comes back from the client; a forged or expired one never reaches a handler (-32602).
    { capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, logging: {} }, requestState: { verify: states.verify } },
  );
  const state = (ctx: ServerContext) => ctx.mcpReq.requestState<{ step: string }>()?.step;
  const samplingText = (ctx: ServerContext, key: string) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, key);
    if (view.kind !== 'sampling') return undefined;
    const content = view.result.content;
    return !Array.isArray(content) && content.type === 'text' ? content.text : JSON.stringify(content);
  };
  const rootUris = (ctx: ServerContext, key: string) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, key);
    return view.kind === 'roots' ? view.roots.map((root) => root.uri) : undefined;
  };

  // input-required-result-basic-elicitation, -result-type, -missing-input-response, -ignore-extra-params and
  // -validate-input: answered once `user_name` holds an accepted name; anything else asks (again).
  server.registerTool('test_input_required_result_elicitation', { description: 'Asks for a name through an input-required result', inputSchema: NO_ARGUMENTS }, async (_args, ctx): Outcome => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_name', NAME);
    if (answer) return text(`Hello, ${answer.name}!`);
    return inputRequired({ inputRequests: { user_name: inputRequired.elicit({ message: 'What is your name?', requestedSchema: NAME_SCHEMA }) } });
  });

  // input-required-result-basic-sampling
  server.registerTool('test_input_required_result_sampling', { description: 'Asks for an LLM completion through an input-required result', inputSchema: NO_ARGUMENTS }, async (_args, ctx): Outcome => {
    const reply = samplingText(ctx, 'capital_question');
    if (reply !== undefined) return text(`LLM response: ${reply}`);
    return inputRequired({
      inputRequests: {
        capital_question: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }], maxTokens: 100 }),
      },
    });
  });

  // input-required-result-basic-list-roots
  server.registerTool('test_input_required_result_list_roots', { description: "Asks for the client's roots through an input-required result", inputSchema: NO_ARGUMENTS }, async (_args, ctx): Outcome => {
    const roots = rootUris(ctx, 'client_roots');
    if (roots) return text(`Client roots: ${roots.join(', ') || '(none)'}`);
    return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
  });

  // input-required-result-request-state: the retry must bring back the state this server signed ("state-ok").
  server.registerTool('test_input_required_result_request_state', { description: 'Round-trips a signed requestState', inputSchema: NO_ARGUMENTS }, async (_args, ctx): Outcome => {
    const confirmed = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', z.object({ ok: z.boolean() }));
    if (confirmed && state(ctx) === 'confirm') return text(`state-ok: confirmed=${confirmed.ok}`);
    return inputRequired({
      inputRequests: { confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } }) },
      requestState: await states.mint({ step: 'confirm' }),
    });
  });

  // input-required-result-multiple-input-requests: elicitation, sampling and roots in one round.
  server.registerTool('test_input_required_result_multiple_inputs', { description: 'Asks for three inputs of different kinds at once', inputSchema: NO_ARGUMENTS }, async (_args, ctx): Outcome => {
    const name = acceptedContent(ctx.mcpReq.inputResponses, 'user_name', NAME);
    const greeting = samplingText(ctx, 'greeting');
    const roots = rootUris(ctx, 'client_roots');
    if (name && greeting !== undefined && roots && state(ctx) === 'multiple') return text(`${greeting} ${name.name}; roots: ${roots.join(', ') || '(none)'}`);
    return inputRequired({
      inputRequests: {
        user_name: inputRequired.elicit({ message: 'What is your name?', requestedSchema: NAME_SCHEMA }),
        greeting: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 }),
        client_roots: inputRequired.listRoots(),
      },
      requestState: await states.mint({ step: 'multiple' }),
    });
  });

  // input-required-result-multi-round: two rounds in sequence, a new requestState for each.
  server.registerTool('test_input_required_result_multi_round', { description: 'Asks two questions, one round after the other', inputSchema: NO_ARGUMENTS }, async (_args, ctx): Outcome => {
    const step = state(ctx);
    const color = acceptedContent(ctx.mcpReq.inputResponses, 'step2', z.object({ color: z.string() }));
    if (step?.startsWith('step2:') && color) return text(`${step.slice('step2:'.length)} likes ${color.color}`);
    const name = acceptedContent(ctx.mcpReq.inputResponses, 'step1', NAME);
    if (step === 'step1' && name) {
      return inputRequired({
        inputRequests: { step2: inputRequired.elicit({ message: 'Step 2: What is your favorite color?', requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] } }) },
        requestState: await states.mint({ step: `step2:${name.name}` }),
      });
    }
    return inputRequired({
      inputRequests: { step1: inputRequired.elicit({ message: 'Step 1: What is your name?', requestedSchema: NAME_SCHEMA }) },
      requestState: await states.mint({ step: 'step1' }),
    });
  });

  // input-required-result-tampered-state: the SDK's verify hook refuses a state that is not this server's (-32602).
  server.registerTool('test_input_required_result_tampered_state', { description: 'Signs its requestState; a tampered one is refused', inputSchema: NO_ARGUMENTS }, async (_args, ctx): Outcome => {
    const confirmed = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', z.object({ ok: z.boolean() }));
    if (confirmed && state(ctx) === 'tamper-check') return text('state verified');
    return inputRequired({
      inputRequests: { confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } }) },
      requestState: await states.mint({ step: 'tamper-check' }),
    });
  });

  // input-required-result-capability-check: asks only for what the request's client declared it can answer.
  server.registerTool('test_input_required_result_capabilities', { description: 'Asks only what the client declared it can answer', inputSchema: NO_ARGUMENTS }, async (_args, ctx): Outcome => {
    if (ctx.mcpReq.inputResponses) return text(`Answered: ${Object.keys(ctx.mcpReq.inputResponses).join(', ')}`);
    const declared = ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] ?? {}) as ClientCapabilities;
    return inputRequired({
      inputRequests: {
        ...(declared.sampling && { summary: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Say hello' } }], maxTokens: 20 }) }),
        ...(declared.elicitation && { user_name: inputRequired.elicit({ message: 'What is your name?', requestedSchema: NAME_SCHEMA }) }),
        ...(declared.roots && { client_roots: inputRequired.listRoots() }),
      },
      requestState: await states.mint({ step: 'capabilities' }),
    });
  });

  // server-stateless: processing needs sampling; a client that did not declare it gets -32021 (the SDK checks
  // every embedded request against the request's declared capabilities).
  server.registerTool('test_missing_capability', { description: 'Needs the sampling capability', inputSchema: NO_ARGUMENTS }, async (_args, ctx): Outcome => {
    const reply = samplingText(ctx, 'needs_sampling');
    if (reply !== undefined) return text(`LLM response: ${reply}`);
    return inputRequired({ inputRequests: { needs_sampling: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Hello' } }], maxTokens: 10 }) } });
  });

  // server-stateless: what it asks comes inside the result on the request's own stream, after a progress message,
  // never as a request of its own.
  server.registerTool('test_streaming_elicitation', { description: 'Sends a notification on its stream, then asks for a name', inputSchema: NO_ARGUMENTS }, async (_args, ctx): Outcome => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_name', NAME);
    if (answer) return text(`Hello, ${answer.name}!`);
    await ctx.mcpReq.log('info', 'about to ask for a name');
    return inputRequired({ inputRequests: { user_name: inputRequired.elicit({ message: 'What is your name?', requestedSchema: NAME_SCHEMA }) } });
  });

  // server-stateless: logs while it runs; only a request that named a log level may receive them (2026-07-28).
  server.registerTool('test_logging_tool', { description: 'Sends log messages while it runs', inputSchema: NO_ARGUMENTS }, async (_args, ctx) => {
    await ctx.mcpReq.log('info', 'Tool execution started');
    await ctx.mcpReq.log('info', 'Tool execution completed');
    return text('Tool with logging executed successfully');
  });

  // http-custom-header-server-validation (SEP-2243): `region` is mirrored into the Mcp-Param-Region header; the SDK
  // checks the header against the body before the handler runs (400 and -32020 when they disagree).
  server.registerTool('test_custom_header', {
    description: 'Echoes a parameter that clients mirror into the Mcp-Param-Region header',
    // An extension keyword, which the JSON Schema type does not know.
    inputSchema: fromJsonSchema<{ region: string }>({
      type: 'object',
      properties: { region: { type: 'string', description: 'A region name', 'x-mcp-header': 'Region' } },
      required: ['region'],
    } as Parameters<typeof fromJsonSchema>[0]),
  }, async ({ region }) => text(`region: ${region}`));

  // server-stateless: each call adds a tool (or a prompt) and tells the listen streams (2026-07-28 subscriptions/listen).
  server.registerTool('test_trigger_tool_change', { description: 'Adds a tool and announces the change', inputSchema: NO_ARGUMENTS }, async () => {
    mutations.tools++;
    mutations.notify.toolsChanged();
    return text(`tools added: ${mutations.tools}`);
  });
  server.registerTool('test_trigger_prompt_change', { description: 'Adds a prompt and announces the change', inputSchema: NO_ARGUMENTS }, async () => {
    mutations.prompts++;
    mutations.notify.promptsChanged();
    return text(`prompts added: ${mutations.prompts}`);
  });
  for (let i = 1; i <= mutations.tools; i++) {
    server.registerTool(`test_added_tool_${i}`, { description: 'Added by test_trigger_tool_change', inputSchema: NO_ARGUMENTS }, async () => text(`added tool ${i}`));
  }
  for (let i = 1; i <= mutations.prompts; i++) {
    server.registerPrompt(`test_added_prompt_${i}`, { description: 'Added by test_trigger_prompt_change' }, async () => ({ messages: [{ role: 'user', content: { type: 'text', text: `added prompt ${i}` } }] }));
  }

  // input-required-result-non-tool-request: prompts/get may ask too.
  server.registerPrompt('test_input_required_result_prompt', { description: 'A prompt that asks for its context first' }, async (ctx): Promise<GetPromptResult | InputRequiredResult> => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_context', z.object({ context: z.string() }));
    if (answer) return { messages: [{ role: 'user', content: { type: 'text', text: `Use this context: ${answer.context}` } }] };
    return inputRequired({
      inputRequests: {
        user_context: inputRequired.elicit({ message: 'What context should the prompt use?', requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] } }),
      },
    });
  });
  return server;
}

export interface ModernConformanceFixture {
  /** The endpoint, e.g. http://127.0.0.1:7002/mcp */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the 2026-07-28 part of the fixture at /mcp on a free loopback port. */
export async function startModernConformanceFixture(): Promise<ModernConformanceFixture> {
  const states = createRequestStateCodec<{ step: string }>({ key: randomBytes(32), ttlSeconds: 600 });
  const mutations: Mutations = {
    tools: 0,
    prompts: 0,
    notify: { toolsChanged: () => handler.notify.toolsChanged(), promptsChanged: () => handler.notify.promptsChanged() },
  };
  const handler = createMcpHandler(() => createModernServer(states, mutations), { legacy: 'stateless' });
  const node = toNodeHandler(handler);
  const http = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://fixture').pathname !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    void node(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
