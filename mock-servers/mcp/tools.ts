import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
  LoggingLevelSchema,
  type CallToolResult,
  type LoggingLevel,
  type ProgressToken,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { MockTool } from './types.js';

/** What a running tool needs from the session it was called on. */
export interface ToolSession {
  readonly serverName: string;
  /** The call stopped because its abort signal fired. */
  noteCancelled(tool: string): void;
}

/** A request the server sends to the client while a tool runs (sampling, elicitation, roots). */
export interface ClientAsk {
  method: 'sampling/createMessage' | 'elicitation/create' | 'roots/list';
  params?: Record<string, unknown>;
}

/**
 * One tool call, in whichever era it arrived. The eras differ in how a tool reaches the client
 * (see legacy-call.ts and modern.ts); the behaviours below are written once against this.
 */
export interface ToolCall {
  readonly signal: AbortSignal;
  /** MCP basic/utilities/progress: present only when the request carried one. */
  readonly progressToken: ProgressToken | undefined;
  readonly headers: Record<string, string | string[] | undefined> | undefined;
  /** Sends a notification related to this call (progress). */
  notify(notification: { method: string; params: Record<string, unknown> }): Promise<void>;
  /** Sends a log message if the client's level lets it through (2025: logging/setLevel; 2026: the request's logLevel). */
  log(level: LoggingLevel, data: unknown): Promise<void>;
  /**
   * Asks the client and returns its answer. 2025: a server-to-client request on the call's stream.
   * 2026: the answer from the retried request's inputResponses, or the round ends with an
   * input_required result asking for it (MRTR).
   */
  ask(key: string, request: ClientAsk): Promise<Record<string, unknown>>;
}

/** Thrown by a 2026 `ask` whose answer has not arrived yet: the round ends with input_required. */
export class InputNeeded extends Error {
  override readonly name = 'InputNeeded';
  constructor(readonly key: string, readonly request: ClientAsk) {
    super(`input needed: ${request.method}`);
  }
}

/** How the answer to each kind of ask is read. */
export const askResults = {
  'sampling/createMessage': CreateMessageResultSchema,
  'elicitation/create': ElicitResultSchema,
  'roots/list': ListRootsResultSchema,
} as const;

export type ToolRun = (args: Record<string, unknown>, call: ToolCall, session: ToolSession) => CallToolResult | Promise<CallToolResult>;

export interface CompiledTool {
  readonly definition: Tool;
  readonly run: ToolRun;
}

interface Behaviour {
  description: string;
  inputSchema: Tool['inputSchema'];
  run: ToolRun;
}

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
const failure = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }], isError: true });
/** A failed ask ends the tool with its error text; a 2026 ask still waiting for its answer ends the round. */
const askFailed = (error: unknown): CallToolResult => {
  if (error instanceof InputNeeded) throw error;
  return failure(error instanceof Error ? error.message : String(error));
};

const objectSchema = (properties: Record<string, object> = {}, required: string[] = []): Tool['inputSchema'] => ({
  type: 'object',
  properties,
  ...(required.length > 0 && { required }),
});

function numberArg(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** Resolves true after `ms`, or false as soon as `signal` fires. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Built-in behaviours, chosen by tool name so a spec can be a list of names. `echo` is on the
 * benchmark path: no logging, nothing allocated beyond its result.
 */
const behaviours: Record<string, Behaviour> = {
  echo: {
    description: 'Returns the text it is given',
    inputSchema: objectSchema({ text: { type: 'string', description: 'Text to return' } }, ['text']),
    run: (args) => text(typeof args.text === 'string' ? args.text : String(args.text ?? '')),
  },
  whoami: {
    description: 'Returns the name of the server that answered',
    inputSchema: objectSchema(),
    run: (_args, _extra, session) => text(session.serverName),
  },
  slow: {
    description: 'Waits the given number of milliseconds, or until cancelled',
    inputSchema: objectSchema({ ms: { type: 'number', minimum: 0, description: 'How long to wait' } }),
    run: async (args, call, session) => {
      const ms = numberArg(args.ms, 1000);
      if (await pause(ms, call.signal)) return text(`slept ${ms}ms`);
      session.noteCancelled('slow');
      return failure('cancelled');
    },
  },
  hang: {
    description: 'Never answers; ends only when the call is cancelled',
    inputSchema: objectSchema(),
    run: async (_args, call, session) => {
      await untilAborted(call.signal);
      session.noteCancelled('hang');
      return failure('cancelled');
    },
  },
  progress: {
    description: 'Sends progress notifications, then returns "done"',
    inputSchema: objectSchema({
      steps: { type: 'integer', minimum: 0, description: 'How many notifications' },
      intervalMs: { type: 'number', minimum: 0, description: 'Pause after each notification (default 20; 0: none, so the last one leaves with the result)' },
    }),
    run: async (args, call, session) => {
      const steps = Math.floor(numberArg(args.steps, 3));
      const intervalMs = numberArg(args.intervalMs, 20);
      const progressToken = call.progressToken;
      // MCP basic/utilities/progress: notifications only for a request that carried a progressToken.
      if (progressToken === undefined) return text('done');
      for (let progress = 1; progress <= steps; progress++) {
        await call.notify({ method: 'notifications/progress', params: { progressToken, progress, total: steps, message: `step ${progress} of ${steps}` } });
        // The pause is not decoration: SDK v1 clients drop progress that arrives in the same read
        // as the response (typescript-sdk#2580), and legacy SSE delivers all three together.
        if (intervalMs > 0 && !(await pause(intervalMs, call.signal))) {
          session.noteCancelled('progress');
          return failure('cancelled');
        }
      }
      return text('done');
    },
  },
  log: {
    description: 'Sends a log message notification, then returns "logged"',
    inputSchema: objectSchema(
      { level: { type: 'string', enum: LoggingLevelSchema.options }, message: { type: 'string' } },
      ['message'],
    ),
    run: async (args, call) => {
      const parsed = LoggingLevelSchema.safeParse(args.level);
      await call.log(parsed.success ? parsed.data : 'info', args.message ?? '');
      return text('logged');
    },
  },
  sample: {
    description: "Asks the client's model (sampling/createMessage) and returns its answer",
    inputSchema: objectSchema({ prompt: { type: 'string' } }, ['prompt']),
    run: async (args, call) => {
      try {
        const result = CreateMessageResultSchema.parse(await call.ask('sample', {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt ?? '') } }], maxTokens: 256 },
        }));
        return text(result.content.type === 'text' ? result.content.text : JSON.stringify(result.content));
      } catch (error) {
        return askFailed(error);
      }
    },
  },
  elicit: {
    description: 'Asks the user a question (form elicitation) and returns the JSON of the answer',
    inputSchema: objectSchema({ message: { type: 'string' } }, ['message']),
    run: async (args, call) => {
      try {
        const result = ElicitResultSchema.parse(await call.ask('elicit', {
          method: 'elicitation/create',
          params: {
            mode: 'form',
            message: String(args.message ?? ''),
            requestedSchema: { type: 'object', properties: { answer: { type: 'string', description: 'Your answer' } }, required: ['answer'] },
          },
        }));
        return text(JSON.stringify(result));
      } catch (error) {
        return askFailed(error);
      }
    },
  },
  roots: {
    description: "Returns the JSON of the client's roots/list",
    inputSchema: objectSchema(),
    run: async (_args, call) => {
      try {
        return text(JSON.stringify(ListRootsResultSchema.parse(await call.ask('roots', { method: 'roots/list' }))));
      } catch (error) {
        return askFailed(error);
      }
    },
  },
  headers: {
    description: 'Returns the JSON of the HTTP request headers this call arrived with',
    inputSchema: objectSchema(),
    run: (_args, call) => (call.headers ? text(JSON.stringify(call.headers)) : failure('this call did not arrive over HTTP')),
  },
  big: {
    description: 'Returns a text of the given size in kilobytes',
    inputSchema: objectSchema({ kb: { type: 'number', minimum: 0 } }),
    run: (args) => text('x'.repeat(Math.floor(numberArg(args.kb, 1) * 1024))),
  },
  echo_size: {
    description: 'Returns the length of the data it is given',
    inputSchema: objectSchema({ data: { type: 'string' } }, ['data']),
    run: (args) => text(String(typeof args.data === 'string' ? args.data.length : JSON.stringify(args.data ?? '').length)),
  },
};

const echoArguments: Behaviour = {
  description: 'Returns its arguments as JSON',
  inputSchema: { type: 'object', additionalProperties: true },
  run: (args) => text(JSON.stringify(args)),
};

export const builtinToolNames: readonly string[] = Object.keys(behaviours);

/** Resolves a tool's behaviour once, so a call is one map lookup and one function call. */
export function compileTool(tool: MockTool): CompiledTool {
  const behaviour = Object.hasOwn(behaviours, tool.name) ? (behaviours[tool.name] as Behaviour) : echoArguments;
  const definition: Tool = {
    name: tool.name,
    description: tool.description ?? behaviour.description,
    inputSchema: tool.inputSchema ?? behaviour.inputSchema,
    ...(tool.execution && { execution: tool.execution }),
  };
  const { delayMs, fail } = tool;
  if (!delayMs && !fail) return { definition, run: behaviour.run };
  const run: ToolRun = async (args, call, session) => {
    if (delayMs && !(await pause(delayMs, call.signal))) {
      session.noteCancelled(tool.name);
      return failure('cancelled');
    }
    return fail ? failure(`tool ${tool.name} failed`) : behaviour.run(args, call, session);
  };
  return { definition, run };
}
