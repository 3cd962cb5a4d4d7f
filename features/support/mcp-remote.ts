import { chmod, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { TestClient } from './client.js';
import type { SwitchboardWorld } from './world.js';

/** mcp-remote's command (a devDependency): the bridge Claude Desktop users put in front of remote OAuth servers. */
const MCP_REMOTE = createRequire(import.meta.url).resolve('mcp-remote/dist/proxy.js');

/**
 * The person's browser, for mcp-remote: its bundled `open` runs `$BROWSER <url>` when there is no display. This one
 * follows the authorization URL as a browser would: the identity provider (auto-approving) redirects to mcp-remote's
 * own loopback callback, which it then opens. What it saw goes to a log file beside it.
 */
const BROWSER_SCRIPT = `#!/usr/bin/env node
const { appendFileSync } = require('node:fs');
const log = (line) => appendFileSync(__dirname + '/browser.log', line + '\\n');
(async () => {
  const url = process.argv[2];
  log('open ' + new URL(url).origin + new URL(url).pathname);
  const authorize = await fetch(url, { redirect: 'manual' });
  const location = authorize.headers.get('location');
  if (!location) { log('no redirect: HTTP ' + authorize.status); process.exit(1); }
  const callback = await fetch(new URL(location, url));
  log('callback HTTP ' + callback.status);
})().catch((error) => { log('failed: ' + error.message); process.exit(1); });
`;

/**
 * Launches mcp-remote as an IDE would (a command speaking MCP over stdio) in front of switchboard's URL, with a home and
 * config directory of its own so that no state survives the scenario, and the browser above.
 */
export async function launchMcpRemote(world: SwitchboardWorld): Promise<{ client: TestClient; browserLog: string }> {
  const files = await world.files();
  const home = files.path('mcp-remote-home');
  await mkdir(home, { recursive: true });
  const browser = await files.write('browser.cjs', BROWSER_SCRIPT);
  await chmod(browser, 0o755);
  const client = await TestClient.launch({
    command: process.execPath,
    // --host: its callback on 127.0.0.1 (not "localhost"); http-only: switchboard speaks Streamable HTTP.
    args: [MCP_REMOTE, world.url, '--host', '127.0.0.1', '--transport', 'http-only'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      MCP_REMOTE_CONFIG_DIR: files.path('mcp-remote-home/config'),
      BROWSER: browser,
      // No display: `open` falls back to $BROWSER.
      DISPLAY: '',
      WAYLAND_DISPLAY: '',
    },
  });
  return { client, browserLog: files.path('browser.log') };
}
