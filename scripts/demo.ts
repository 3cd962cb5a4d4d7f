/**
 * `npm start`: switchboard in front of the bundled mock servers (examples/demo.yaml). One public server, and two
 * protected servers behind one mock authorization server that shows a sign-in form, so a newcomer sees a sign-in
 * once and both servers connect. The mock servers run in this process; switchboard runs as users run it, the
 * `switchboard` command (compiled JavaScript in dist/), in its own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/index.js';
import { PortInUseError } from '../src/http/index.js';
import { startMockMcpServer } from '../mock-servers/mcp/index.js';
import { startMockAuthServer } from '../mock-servers/oauth/index.js';
import { startProtectedMcpServer } from '../mock-servers/protected/index.js';

const CONFIG = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));
const SWITCHBOARD_BIN = fileURLToPath(new URL('../bin/switchboard.js', import.meta.url));
const AUTH_PORT = 7400;

/** `preferred` when it is free on loopback, else a free port (a second demo, or an IDE's server, holds 8080). */
async function freePortOr(preferred: number): Promise<number> {
  const tryPort = (port: number) => new Promise<number | undefined>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolve(bound));
    });
  });
  return (await tryPort(preferred)) ?? (await tryPort(0))!;
}

/** Starts the switchboard command with the demo configuration; resolves once it answers /healthz. */
async function startSwitchboard(origin: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SWITCHBOARD_BIN, 'serve', '--config', CONFIG, '--port', String(port)], { stdio: 'inherit' });
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let attempt = 0; attempt < 300 && !exited; attempt++) {
    const healthy = await fetch(`${origin}/healthz`).then((r) => r.ok, () => false);
    if (healthy) return child;
    await sleep(100);
  }
  child.kill();
  throw new Error(exited ? 'switchboard stopped at start (its message is above)' : 'switchboard did not answer /healthz within 30 s');
}

async function main(): Promise<void> {
  const config = await loadConfigFile(CONFIG);
  const port = (name: string) => Number(new URL((config.mcpServers[name] as { url: string }).url).port);

  const authServer = await startMockAuthServer({ port: AUTH_PORT, approval: 'form', scopesSupported: ['read', 'write'] });
  const weather = await startMockMcpServer(
    { name: 'weather', tools: [{ name: 'echo', description: 'Echoes its text' }, { name: 'forecast', description: 'A (made-up) forecast' }] },
    { transport: 'streamable-http', port: port('weather'), recordCalls: false },
  );
  const jira = await startProtectedMcpServer({ authServer, name: 'jira', port: port('jira') });
  const wiki = await startProtectedMcpServer({ authServer, name: 'wiki', port: port('wiki') });

  const switchboardPort = await freePortOr(config.http.port);
  if (switchboardPort !== config.http.port) console.log(`\n  demo: port ${config.http.port} is taken; switchboard listens on ${switchboardPort} instead.`);
  const origin = `http://127.0.0.1:${switchboardPort}`;
  const stopMocks = () => Promise.all([jira.close(), wiki.close(), weather.stop(), authServer.close()]);
  const switchboard = await startSwitchboard(origin, switchboardPort).catch(async (error: unknown) => {
    await stopMocks();
    throw error;
  });
  const endpoint = `${origin}/mcp`;

  console.log(`
  switchboard demo is running.

  MCP endpoint:   ${endpoint}
  Servers:        weather (public), jira and wiki (sign-in at ${authServer.issuer}, any user name works)

  Try it with the MCP Inspector:  npx @modelcontextprotocol/inspector  (transport "Streamable HTTP", URL above)
  Or add it to your IDE:
    Claude Desktop / Cursor (mcp.json):  { "mcpServers": { "switchboard": { "url": "${endpoint}" } } }
    VS Code (.vscode/mcp.json):          { "servers": { "switchboard": { "type": "http", "url": "${endpoint}" } } }

  List the tools: you will see weather_* and authenticate_jira / authenticate_wiki. Call authenticate_jira,
  open the URL it returns, sign in once: jira and wiki both connect. Ctrl-C stops everything.
`);

  let stopping = false;
  // Ctrl-C reaches both processes (one process group); whichever hears of it first stops everything, once.
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (switchboard.exitCode === null) {
      const exited = new Promise((resolve) => switchboard.once('exit', resolve));
      switchboard.kill('SIGTERM');
      await exited;
    }
    await stopMocks();
    process.exit(code);
  };
  switchboard.once('exit', (code) => void stop(code ?? 1));
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
}

main().catch((error: unknown) => {
  console.error(error instanceof PortInUseError
    ? `demo: a port it needs is taken (${error.message}); stop what uses ports 7400-7403, or edit examples/demo.yaml`
    : `demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
