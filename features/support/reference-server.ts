import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientCapabilities, Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { TestClient } from './client.js';

/**
 * The MCP project's reference server, `@modelcontextprotocol/server-everything` (a devDependency), run from its own
 * launcher exactly as its README tells users to: `mcp-server-everything stdio | streamableHttp | sse`.
 */
const LAUNCHER = fileURLToPath(import.meta.resolve('@modelcontextprotocol/server-everything/dist/index.js'));

export type ReferenceTransport = 'stdio' | 'streamable-http' | 'sse';

/** How to spawn it over stdio, for an upstream config or a client's StdioClientTransport. */
export function referenceStdioCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: [LAUNCHER, 'stdio'] };
}

export interface RunningReferenceServer {
  /** `http://127.0.0.1:PORT/mcp` (Streamable HTTP) or `http://127.0.0.1:PORT/sse` (HTTP+SSE). */
  readonly url: string;
  stop(): Promise<void>;
}

const HTTP_LAUNCH = {
  'streamable-http': { argument: 'streamableHttp', path: '/mcp' },
  sse: { argument: 'sse', path: '/sse' },
} as const;

/**
 * Starts it as its own process over HTTP. It takes its port from `PORT` and, given 0, names no port it bound, so the
 * port is picked free just before; a port taken in between makes the server exit, and another is tried.
 */
export async function startReferenceServer(transport: 'streamable-http' | 'sse', choosePort: () => Promise<number>): Promise<RunningReferenceServer> {
  let lastFailure = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await choosePort();
    const started = await launch(transport, port);
    if ('url' in started) return started;
    lastFailure = started.failure;
  }
  throw new Error(`the reference server did not start over ${transport}: ${lastFailure}`);
}

function launch(transport: 'streamable-http' | 'sse', port: number): Promise<RunningReferenceServer | { failure: string }> {
  const { argument, path } = HTTP_LAUNCH[transport];
  // It logs every request on stdout; only stderr says whether it is listening.
  const child = spawn(process.execPath, [LAUNCHER, argument], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve) => {
    let stderr = '';
    const listening = new RegExp(`port ${port}\\b`); // "... listening on port N" (Streamable HTTP), "... running on port N" (SSE)
    const onData = (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (!listening.test(stderr)) return;
      // From here on its stderr (a line per message over SSE) is read and dropped.
      child.stderr.off('data', onData).resume();
      resolve({ url: `http://127.0.0.1:${port}${path}`, stop });
    };
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => resolve({ failure: `exit ${code ?? signal}: ${stderr.trim().slice(-500)}` }));
  });
}

export interface ReferenceListing {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
}

/**
 * What the reference server itself lists to a client that declares `capabilities` (some of its tools are offered
 * only to clients that can sample, elicit or list roots): asked over stdio, in a process of its own.
 */
export async function listReferenceServer(capabilities: ClientCapabilities): Promise<ReferenceListing> {
  const own = await TestClient.launch(referenceStdioCommand(), { capabilities });
  try {
    const { client } = own;
    return {
      tools: (await client.listTools()).tools,
      prompts: (await client.listPrompts()).prompts,
      resources: (await client.listResources()).resources,
      resourceTemplates: (await client.listResourceTemplates()).resourceTemplates,
    };
  } finally {
    await own.close();
  }
}
