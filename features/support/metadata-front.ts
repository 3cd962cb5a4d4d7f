import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProtectedMcpServer } from '../../mock-servers/protected/index.js';

/** Where the front publishes the protected resource metadata: a path no well-known rule leads to. */
const METADATA_PATH = '/metadata/for-agents.json';

export interface MetadataFront {
  /** The MCP endpoint behind the front, e.g. http://127.0.0.1:PORT/mcp. */
  readonly url: string;
  readonly metadataUrl: string;
  close(): Promise<void>;
}

/**
 * A front for a protected MCP server that publishes its resource metadata (RFC 9728) only at the address its 401
 * answers name in `resource_metadata` (section 5.1): every well-known address answers 404. A client that ignores the
 * challenge cannot find out where to sign in. Requests are relayed as they are, streams included; only the challenge
 * is rewritten, and the metadata names the front's own MCP URL as its resource (so the server behind must accept
 * tokens meant for the front: `audience: 'none'`).
 */
export async function startMetadataFront(target: ProtectedMcpServer): Promise<MetadataFront> {
  if (!target.prmUrl) throw new Error('the server behind the front must publish its metadata');
  const targetUrl = new URL(target.url);
  let origin = '';

  const relay = (req: IncomingMessage, res: ServerResponse) => {
    const outgoing = request(
      { host: targetUrl.hostname, port: targetUrl.port, path: req.url, method: req.method, headers: { ...req.headers, host: targetUrl.host } },
      (answer) => {
        const headers = { ...answer.headers };
        const challenge = headers['www-authenticate'];
        if (typeof challenge === 'string') {
          headers['www-authenticate'] = challenge.replace(/resource_metadata="[^"]*"/, `resource_metadata="${origin}${METADATA_PATH}"`);
        }
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(outgoing);
  };

  const server = createServer((req, res) => {
    if (req.url?.startsWith('/.well-known/')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    if (req.method === 'GET' && req.url === METADATA_PATH) {
      void fetch(target.prmUrl!).then(async (answer) => {
        const document = { ...((await answer.json()) as Record<string, unknown>), resource: `${origin}${targetUrl.pathname}` };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
      }, () => void res.writeHead(502).end());
      return;
    }
    relay(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}${targetUrl.pathname}`,
    metadataUrl: `${origin}${METADATA_PATH}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
