/**
 * The client the official MCP conformance suite drives in client mode (`conformance client --command "<this>"`):
 * switchboard's own upstream connector and OAuth code, exercised end to end as a person and an agent would.
 *
 *   node --import tsx scripts/conformance-client.ts <server URL>
 *
 * The suite appends the URL of its (protected) MCP server as the last argument and names the scenario in
 * MCP_CONFORMANCE_SCENARIO; MCP_CONFORMANCE_CONTEXT carries scenario data such as pre-registered client credentials.
 *
 * What happens, with nothing written for the test but the agent and the browser:
 * 1. switchboard starts in this process (serveHttp, memory store) with that URL as its only upstream;
 * 2. an MCP client session opens on switchboard and finds `authenticate_<server>` (the upstream answered 401); in the
 *    client-credentials scenarios switchboard gets a token by itself and the upstream is connected at once;
 * 3. it calls that tool and, playing the browser, opens the authorization URL (the suite's authorization server
 *    approves at once and redirects) and follows the redirect into switchboard's /oauth/callback;
 * 4. once the upstream's tools appear, it calls each of them, with the arguments the scenario's context names for it
 *    (`toolCalls`), else arguments made from the tool's input schema (its defaults, else a value of the property's
 *    type); json-schema-2020-12-preservation's echo tool gets the focal tool's schema as the agent saw it. A call that
 *    fails because the upstream wants another sign-in (403 insufficient_scope: step-up) makes it sign in again, as
 *    long as switchboard offers the sign-in.
 *
 * A server that needs no sign-in (the `core` scenarios: initialize, tools_call, sse-retry, elicitation defaults) goes
 * straight to step 4. The agent declares form elicitation and accepts every request with no fields of its own, its SDK
 * filling in the schema's defaults (SEP-1034 `applyDefaults`): what the scenario checks is that the upstream's request
 * reaches the client through switchboard and the client's answer reaches the upstream intact.
 *
 * Exit status 0 when every upstream tool was called successfully, 1 otherwise (the suite also judges by what its
 * servers saw). Logs go to stderr, which the suite keeps in stderr.txt.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { parseConfig } from '../src/config/index.js';
import { createLogger } from '../src/log/index.js';
import { serveHttp, type RunningHttp } from '../src/switchboard.js';

/** The upstream's name in switchboard's configuration; its sign-in tool is `authenticate_<this>`. */
const SERVER = 'conformance';
const SIGN_IN_TOOL = `authenticate_${SERVER}`;
/**
 * The client ID metadata document URL the suite expects a CIMD-capable client to use (auth/basic-cimd). switchboard
 * takes it as an operator-configured `auth.clientMetadataUrl` (a document hosted elsewhere); it is used only where an
 * authorization server advertises CIMD support, DCR otherwise.
 */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';
/** Sign-ins this agent starts at most; switchboard's own limit on step-ups is what the suite checks, not this one. */
const MAX_SIGN_INS = 10;
const WAIT_MS = 20_000;
const SIGN_IN_SETTLE_MS = 3_000;

const contextSchema = z.looseObject({
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(1).optional(),
  /** auth/client-credentials-jwt: the key to sign RFC 7523 client assertions with, and its algorithm. */
  private_key_pem: z.string().min(1).optional(),
  signing_algorithm: z.string().min(1).optional(),
  // Cross-app access (auth/cross-app-access-complete-flow): the enterprise IdP, switchboard's client there, and the
  // user's ID token from their single sign-on, which switchboard exchanges at the IdP for an ID-JAG.
  idp_issuer: z.string().min(1).optional(),
  idp_token_endpoint: z.string().min(1).optional(),
  idp_client_id: z.string().min(1).optional(),
  idp_id_token: z.string().min(1).optional(),
  /** The arguments a scenario wants some tools called with (http-custom-headers: values that test the encodings). */
  toolCalls: z.array(z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()) })).optional(),
});

/**
 * json-schema-2020-12-preservation: the scenario's echo tool takes back the input schema the client saw for its focal
 * tool, so the suite can compare what survived switchboard's catalog with what the server listed.
 */
const SCHEMA_ECHO = { scenario: 'json-schema-2020-12-preservation', echoTool: 'json_schema_echo', focalTool: 'json_schema_2020_12_tool' } as const;

type ToolCall = NonNullable<z.infer<typeof contextSchema>['toolCalls']>[number];

function scenarioContext(): z.infer<typeof contextSchema> {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  if (!raw) return {};
  return contextSchema.parse(JSON.parse(raw));
}

function say(message: string): void {
  process.stderr.write(`conformance-client: ${message}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StatusEntry { name: string; status: string; problem?: string }

/** The agent's side: one MCP session on switchboard. */
class Agent {
  private constructor(readonly client: Client) {}

  static async connect(url: string): Promise<Agent> {
    const client = new Client({ name: 'switchboard-conformance-agent', version: '1.0.0' }, { capabilities: { elicitation: { form: { applyDefaults: true } } } });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: {} }));
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    return new Agent(client);
  }

  async tools(): Promise<Tool[]> {
    return (await this.client.listTools()).tools;
  }

  async status(): Promise<StatusEntry | undefined> {
    const read = await this.client.readResource({ uri: 'auth://status' });
    const first = read.contents[0];
    if (!first || !('text' in first)) return undefined;
    return (JSON.parse(first.text) as { servers: StatusEntry[] }).servers.find((s) => s.name === SERVER);
  }

  /** Waits until the server is out of `connecting`. */
  async settled(): Promise<StatusEntry | undefined> {
    const deadline = Date.now() + WAIT_MS;
    let last: StatusEntry | undefined;
    while (Date.now() < deadline) {
      last = await this.status();
      if (last && last.status !== 'connecting') return last;
      await sleep(50);
    }
    return last;
  }

  /**
   * After a sign-in: switchboard reconnects the server in the background. Done when it is connected, or when it went
   * through `connecting` and needs a sign-in again (a server that keeps asking for more scope); a reconnection too
   * quick to be seen is given SIGN_IN_SETTLE_MS.
   */
  async afterSignIn(): Promise<StatusEntry | undefined> {
    const deadline = Date.now() + WAIT_MS;
    const quiet = Date.now() + SIGN_IN_SETTLE_MS;
    let left = false;
    let last: StatusEntry | undefined;
    while (Date.now() < deadline) {
      last = await this.status();
      const waitingForSignIn = last?.status === 'auth_required' || last?.status === 'reauth_required';
      if (last?.status === 'connecting') left = true;
      else if (last && !waitingForSignIn) return last;
      else if (waitingForSignIn && (left || Date.now() > quiet)) return last;
      await sleep(50);
    }
    return last;
  }

  async call(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    return (await this.client.callTool({ name, arguments: args })) as CallToolResult;
  }

}

/**
 * Plays the browser: opens the authorization URL without following redirects (the suite's authorization server
 * answers with a redirect to the redirect URI at once), then opens that redirect, which is switchboard's callback.
 */
async function approveInBrowser(authorizationUrl: string): Promise<void> {
  const authorize = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = authorize.headers.get('location');
  await authorize.body?.cancel();
  if (authorize.status < 300 || authorize.status >= 400 || !location) {
    throw new Error(`the authorization server did not redirect (HTTP ${authorize.status})`);
  }
  const callback = await fetch(new URL(location, authorizationUrl), { redirect: 'manual' });
  const page = await callback.text();
  const text = page.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  say(`callback page (HTTP ${callback.status}): ${text}`);
  if (callback.status !== 200) throw new Error(`switchboard's callback refused the sign-in: ${text}`);
}

/** Calls the sign-in tool and completes the sign-in in the "browser". False when switchboard offered none. */
async function signIn(agent: Agent): Promise<boolean> {
  const result = await agent.call(SIGN_IN_TOOL);
  const structured = result.structuredContent as { status?: string; authorizationUrl?: string } | undefined;
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
  if (result.isError || !structured?.authorizationUrl) {
    say(`${SIGN_IN_TOOL} gave no sign-in URL: ${text}`);
    return false;
  }
  say(`signing in at ${new URL(structured.authorizationUrl).origin}`);
  await approveInBrowser(structured.authorizationUrl);
  return true;
}

/** The upstream's tools as the agent sees them (the sign-in and sign-out tools are switchboard's own). */
function upstreamTools(tools: Tool[]): Tool[] {
  return tools.filter((tool) => tool.name !== SIGN_IN_TOOL && tool.name !== 'switchboard_sign_out');
}

/** Arguments an agent would fill in from a tool's input schema: each property's default, else a value of its type. */
function argumentsFor(tool: Tool): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
    const property = schema as { type?: string; default?: unknown };
    if (property.default !== undefined) args[name] = property.default;
    else if (property.type === 'number' || property.type === 'integer') args[name] = Object.keys(args).length + 2;
    else if (property.type === 'string') args[name] = name;
    else if (property.type === 'boolean') args[name] = true;
  }
  return args;
}

/**
 * The extension scenarios auth/client-credentials-* (SEP-1046) configure what an operator would for an app-level
 * token: `auth.type: client_credentials` with the scenario's client and nothing else, so the token endpoint is found
 * through the server's protected resource metadata; the JWT scenario's key goes to a file, as a key would (`keyFile`).
 * Every other scenario is a sign-in (authorization code) through the authenticate tool.
 */
function upstreamAuth(context: z.infer<typeof contextSchema>, keyFile: string): Record<string, unknown> {
  if (!process.env.MCP_CONFORMANCE_SCENARIO?.startsWith('auth/client-credentials')) {
    return {
      clientMetadataUrl: CLIENT_METADATA_URL,
      ...(context.client_id ? { clientId: context.client_id } : {}),
      ...(context.client_secret ? { clientSecret: context.client_secret } : {}),
      ...(context.idp_id_token ? { crossAppAccess: true } : {}),
    };
  }
  if (!context.client_id) throw new Error('the scenario context names no client_id');
  if (context.private_key_pem) {
    writeFileSync(keyFile, context.private_key_pem, { mode: 0o600 });
    return { type: 'client_credentials', clientId: context.client_id, privateKeyJwt: { keyFile, ...(context.signing_algorithm ? { alg: context.signing_algorithm } : {}) } };
  }
  return { type: 'client_credentials', clientId: context.client_id, clientSecret: context.client_secret };
}

async function run(serverUrl: string): Promise<boolean> {
  const context = scenarioContext();
  const keyDir = mkdtempSync(join(tmpdir(), 'switchboard-conformance-'));
  try {
    return await runWith(serverUrl, upstreamAuth(context, join(keyDir, 'client-key.pem')), crossAppAccess(context), context.toolCalls ?? []);
  } finally {
    rmSync(keyDir, { recursive: true, force: true });
  }
}

/**
 * auth/cross-app-access-complete-flow (SEP-990): without a front door switchboard has one user, and the scenario's ID
 * token is theirs (what an operator configures as `crossAppAccess.idToken`), with switchboard's client at the IdP.
 */
function crossAppAccess(context: z.infer<typeof contextSchema>): Record<string, unknown> {
  if (!context.idp_id_token || !context.idp_issuer || !context.idp_client_id) return {};
  return {
    crossAppAccess: {
      idp: context.idp_issuer,
      clientId: context.idp_client_id,
      idToken: context.idp_id_token,
      ...(context.idp_token_endpoint ? { tokenEndpoint: context.idp_token_endpoint } : {}),
    },
  };
}

async function runWith(serverUrl: string, auth: Record<string, unknown>, topLevel: Record<string, unknown>, toolCalls: readonly ToolCall[]): Promise<boolean> {
  const config = parseConfig({
    mcpServers: {
      [SERVER]: {
        url: serverUrl,
        // One upstream: its tools keep their own names.
        prefix: false,
        auth,
      },
    },
    ...topLevel,
    store: { url: 'memory:' },
    http: { host: '127.0.0.1', port: 0 },
    sessions: { firstListWaitMs: 10_000 },
    reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
  }, 'conformance client config');
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'debug', pretty: false, destination: 2 });
  let switchboard: RunningHttp | undefined;
  let agent: Agent | undefined;
  try {
    switchboard = await serveHttp(config, logger, { audit: { fd: 2 } });
    say(`scenario ${process.env.MCP_CONFORMANCE_SCENARIO ?? '(unnamed)'}: switchboard ${switchboard.url} -> ${serverUrl}`);
    agent = await Agent.connect(switchboard.url);

    let signIns = 0;
    let status = await agent.settled();
    const called = new Set<string>();
    for (;;) {
      if (status?.status === 'auth_required' || status?.status === 'reauth_required') {
        if (signIns >= MAX_SIGN_INS) throw new Error(`gave up after ${signIns} sign-ins`);
        if (!(await signIn(agent))) {
          say(`switchboard offers no further sign-in${status.problem ? ` (${status.problem})` : ''}`);
          return false;
        }
        signIns++;
        status = await agent.afterSignIn();
        continue;
      }
      if (status?.status !== 'connected') {
        say(`the server is ${status?.status ?? 'not listed'}${status?.problem ? ` (${status.problem})` : ''}`);
        return false;
      }
      const listed = upstreamTools(await agent.tools());
      const tools = listed.filter((tool) => !called.has(tool.name));
      if (tools.length === 0) return called.size > 0;
      const argumentsOf = (tool: Tool): Record<string, unknown> => {
        const given = toolCalls.find((call) => call.name === tool.name);
        if (given) return given.arguments;
        if (process.env.MCP_CONFORMANCE_SCENARIO === SCHEMA_ECHO.scenario && tool.name === SCHEMA_ECHO.echoTool) {
          return { schema: listed.find((t) => t.name === SCHEMA_ECHO.focalTool)?.inputSchema ?? {} };
        }
        return argumentsFor(tool);
      };
      let needsSignIn = false;
      for (const { name: tool, ...schema } of tools) {
        const result = await agent.call(tool, argumentsOf({ name: tool, ...schema }));
        const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
        if (!result.isError) {
          say(`called ${tool}: ${text.slice(0, 200)}`);
          called.add(tool);
          continue;
        }
        say(`${tool} failed: ${text.slice(0, 300)}`);
        if (!text.includes(SIGN_IN_TOOL)) return false;
        needsSignIn = true;
        break;
      }
      status = needsSignIn ? await agent.settled() : status;
      if (needsSignIn && status?.status === 'connected') {
        say('a call asked for a sign-in but the server shows as connected');
        return false;
      }
    }
  } finally {
    await agent?.client.close().catch(() => {});
    await switchboard?.close();
    logger.flush();
  }
}

const serverUrl = process.argv.at(-1);
if (!serverUrl || !/^https?:\/\//.test(serverUrl)) {
  say('usage: conformance-client.ts <server URL>');
  process.exit(2);
}
run(serverUrl).then(
  (ok) => {
    say(ok ? 'done: every upstream tool was called' : 'done: the scenario did not complete');
    process.exit(ok ? 0 : 1);
  },
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    process.exit(1);
  },
);
