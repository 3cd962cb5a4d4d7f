import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP link from one replica to Redis that a test can cut, as a network partition would: while cut, the open
 * connections are dropped and new ones are closed at once, so the replica cannot reach Redis while the others can.
 */
export class TcpLink {
  private cutOff = false;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(targetPort: number): Promise<TcpLink> {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const link = new TcpLink(server, (server.address() as { port: number }).port);
    server.on('connection', (inbound) => link.forward(inbound, targetPort));
    return link;
  }

  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.cutOff = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private forward(inbound: Socket, targetPort: number): void {
    if (this.cutOff) return void inbound.destroy();
    const outbound = connect(targetPort, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  }
}
