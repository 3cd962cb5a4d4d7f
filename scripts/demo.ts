/**
 * `npm start`: switchboard in front of the bundled mock servers (examples/demo.yaml). One public server, and two
 * protected servers behind one mock authorization server that shows a sign-in form, so a newcomer sees a sign-in
 * once and both servers connect.
 */
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/index.js';
import { createLogger } from '../src/log/index.js';
import { serveHttp } from '../src/switchboard.js';
import { startMockMcpServer } from '../mock-servers/mcp/index.js';
import { startMockAuthServer } from '../mock-servers/oauth/index.js';
import { startProtectedMcpServer } from '../mock-servers/protected/index.js';

const CONFIG = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));
const AUTH_PORT = 7400;

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

  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  const switchboard = await serveHttp(config, logger, { secret: process.env.SWITCHBOARD_SECRET });

  console.log(`
  switchboard demo is running.

  MCP endpoint:   ${switchboard.url}
  Servers:        weather (public), jira and wiki (sign-in at ${authServer.issuer}, any user name works)

  Try it with the MCP Inspector:  npx @modelcontextprotocol/inspector  (transport "Streamable HTTP", URL above)
  Or add it to your IDE:
    Claude Desktop / Cursor (mcp.json):  { "mcpServers": { "switchboard": { "url": "${switchboard.url}" } } }
    VS Code (.vscode/mcp.json):          { "servers": { "switchboard": { "type": "http", "url": "${switchboard.url}" } } }

  List the tools: you will see weather_* and authenticate_jira / authenticate_wiki. Call authenticate_jira,
  open the URL it returns, sign in once: jira and wiki both connect. Ctrl-C stops everything.
`);

  const stop = async () => {
    await switchboard.close();
    await Promise.all([jira.close(), wiki.close(), weather.stop(), authServer.close()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(code === 'EADDRINUSE'
    ? `demo: a port it needs is taken (${(error as Error).message}); stop what uses ports 7400-7403 and 8080, or edit examples/demo.yaml`
    : `demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
