import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Backend {
  /** The replica id switchboard puts in front of its session ids (SWITCHBOARD_REPLICA_ID). */
  id: string;
  port: number;
}

/**
 * The load balancer rule of docker/nginx.conf, in a few lines, so the fault tests need no nginx: a request with an
 * `Mcp-Session-Id` goes to the replica named in it (a legacy session lives on one replica); any other request goes to
 * the next replica in turn, and to the one after it when a replica refuses the connection (nginx `proxy_next_upstream
 * error`: the request never reached it, so sending it elsewhere is safe even for a POST).
 */
export class Balancer {
  private next = 0;
  /** Requests each replica answered, by id. */
  readonly served = new Map<string, number>();

  private constructor(private readonly server: Server, private readonly backends: Backend[], readonly port: number) {}

  static async start(backends: Backend[], port = 0): Promise<Balancer> {
    const server = createServer();
    await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
    const balancer = new Balancer(server, backends, (server.address() as { port: number }).port);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void balancer.route(req, res));
    return balancer;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const session = req.headers['mcp-session-id'];
    const pinned = typeof session === 'string' ? this.backends.find((b) => session.startsWith(`${b.id}.`)) : undefined;
    const order = pinned ? [pinned] : this.backends.map((_, i) => this.backends[(this.next + i) % this.backends.length]!);
    if (!pinned) this.next = (this.next + 1) % this.backends.length;
    for (const backend of order) {
      const outcome = await this.forward(backend, req, body, res);
      if (outcome === 'answered') return;
    }
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('no replica answered');
    else res.destroy();
  }

  /** 'refused' when the replica could not be reached at all, so the request may go to another. */
  private forward(backend: Backend, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<'answered' | 'refused'> {
    return new Promise((done) => {
      const upstream = httpRequest({ host: '127.0.0.1', port: backend.port, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${backend.port}` } }, (answer) => {
        this.served.set(backend.id, (this.served.get(backend.id) ?? 0) + 1);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('error', () => res.destroy());
        res.once('close', () => answer.destroy());
        done('answered');
      });
      upstream.once('error', (error: NodeJS.ErrnoException) => {
        // nginx passes a POST on only when it never reached the replica; GET and DELETE also after a reset.
        const neverSent = error.code === 'ECONNREFUSED' || (error.code === 'ECONNRESET' && req.method !== 'POST');
        if (!res.headersSent && neverSent) return done('refused');
        res.destroy();
        done('answered');
      });
      upstream.end(body);
    });
  }
}
