/**
 * Bench child: the least any Node relay in front of an HTTP MCP server does, as a yardstick for switchboard's ratios.
 * Node's http server takes each request, undici sends it to the upstream on a keep-alive connection, and the answer
 * goes back as it comes (JSON or an SSE stream). No MCP logic at all: no parsing, routing, renaming, credentials,
 * validation or metrics. What it costs per call is what a relay costs on this machine before it does anything, so
 * "switchboard / direct" reads against "pass-through / direct" measured in the same run. Prints
 *
 *   READY {"url":"http://127.0.0.1:PORT/mcp"}
 *
 *   tsx scripts/bench/pass-through.ts --upstream http://127.0.0.1:PORT/mcp
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import './exit-with-parent.mjs';

const { values } = parseArgs({ options: { upstream: { type: 'string' } } });
if (!values.upstream) throw new Error('--upstream URL is required');
const upstream = new URL(values.upstream);

/** RFC 9110 §7.6.1: connection-specific fields are not forwarded; the length is the sender's to set. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

function forwarded(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !NOT_FORWARDED.has(name)) out[name] = value;
  return out;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    request(upstream, { method: req.method as 'GET' | 'POST' | 'DELETE', headers: forwarded(req.headers), body }).then((answer) => {
      res.writeHead(answer.statusCode, forwarded(answer.headers));
      res.once('close', () => answer.body.destroy());
      answer.body.pipe(res);
    }, () => {
      res.writeHead(502).end();
    });
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(`READY ${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp` })}`);
});
