import express from 'express';
import type { FrontDoor } from '../front-door/index.js';
import type { ServerHealth } from '../upstream/index.js';

/** The scope a front door token needs to read the status page (and, later, the server list of the admin API). */
export const SERVERS_READ_SCOPE = 'servers.read';

export interface StatusPageOptions {
  health: () => { [server: string]: ServerHealth };
  /** With a front door, the page needs a token with `servers.read` (on top of `inboundAuth.requiredScopes`). */
  frontDoor?: FrontDoor;
}

/**
 * `GET /admin`: a read-only status page for operators, plain HTML with no script and no framework: every server with
 * its state, health, tool count, last check and last error. It shows no URL and no configuration (a URL can carry a
 * key), and escapes every text (an error text can quote what an upstream said).
 */
export function statusPage(options: StatusPageOptions): express.Router {
  const router = express.Router();
  // Only this exact route: the admin API under /admin/servers asks for a scope per action.
  // Like the admin API's read action, servers.read alone (not inboundAuth.requiredScopes, which is for /mcp).
  const gate = options.frontDoor?.gate([SERVERS_READ_SCOPE]);
  router.get('/admin', ...(gate ? [gate] : []), (_req, res) => {
    res.set({
      'content-type': 'text/html; charset=utf-8',
      // No script, no framing, nothing loaded: the page is its own inline style and text.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    res.send(render(options.health()));
  });
  return router;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function row(name: string, health: ServerHealth): string {
  const cells = [
    `<th scope="row">${escape(name)}</th>`,
    `<td class="state">${escape(health.state)}</td>`,
    `<td class="health ${health.healthy ? 'ok' : 'bad'}">${health.healthy ? 'healthy' : 'unhealthy'}</td>`,
    `<td class="tools">${health.tools}</td>`,
    `<td class="checked">${health.lastCheckedAt ? `<time datetime="${escape(health.lastCheckedAt)}">${escape(health.lastCheckedAt)}</time>` : 'not yet'}</td>`,
    `<td class="latency">${health.latencyMs !== undefined ? `${health.latencyMs} ms` : ''}</td>`,
    `<td class="error">${health.lastError ? escape(health.lastError) : ''}</td>`,
  ];
  return `<tr data-server="${escape(name)}">${cells.join('')}</tr>`;
}

function render(report: { [server: string]: ServerHealth }): string {
  const servers = Object.entries(report);
  const healthy = servers.filter(([, h]) => h.healthy).length;
  const rows = servers.map(([name, health]) => row(name, health)).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>switchboard: servers</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse}th,td{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.ok{color:#1a7f37}.bad{color:#b42318;font-weight:600}.error{max-width:40rem;font-family:ui-monospace,monospace;font-size:.85rem}
</style>
</head><body>
<h1>switchboard: servers</h1>
<p id="summary">${healthy} of ${servers.length} servers healthy.</p>
<table>
<thead><tr><th scope="col">Server</th><th scope="col">State</th><th scope="col">Health</th><th scope="col">Tools</th><th scope="col">Last check</th><th scope="col">Latency</th><th scope="col">Last error</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body></html>
`;
}
