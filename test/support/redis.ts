import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server and deletes its data directory. restart() may start it again. */
  stop(): Promise<void>;
  /**
   * Stops the server (when running) and starts it again on the same port. Data is lost unless keepData: then Redis
   * saves a snapshot to its temporary directory on shutdown and loads it on start.
   */
  restart(options?: { keepData?: boolean }): Promise<void>;
  /** Stops the server and keeps its directory; with keepData it saves a snapshot first, which restart() loads. */
  halt(options?: { keepData?: boolean }): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 5_000;

/** A throwaway redis-server on a free loopback port, without persistence, in its own temporary directory. */
export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port, dir);

  const stop = async (): Promise<void> => {
    if (child !== undefined) await terminate(child, port, false);
    child = undefined;
    await rm(dir, { recursive: true, force: true });
  };
  const restart = async (options: { keepData?: boolean } = {}): Promise<void> => {
    const keepData = options.keepData ?? false;
    if (child !== undefined) await terminate(child, port, keepData);
    child = undefined;
    await mkdir(dir, { recursive: true });
    if (!keepData) await rm(join(dir, 'dump.rdb'), { force: true });
    child = await launch(port, dir);
  };
  const halt = async (options: { keepData?: boolean } = {}): Promise<void> => {
    if (child !== undefined) await terminate(child, port, options.keepData ?? false);
    child = undefined;
  };
  return { url: `redis://${HOST}:${port}`, port, stop, restart, halt };
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4_000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // A test run that dies half-way must not leave a redis-server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if ((await command(port, ['PING']).catch(() => '')) === '+PONG') return child;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}:\n${output}`);
}

/** SHUTDOWN SAVE writes a snapshot even though no save points are configured; SIGTERM then exits without one. */
async function terminate(child: ChildProcess, port: number, save: boolean): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (save) await command(port, ['SHUTDOWN', 'SAVE']);
  else child.kill('SIGTERM');
  await exited;
}

/** One command over a raw socket: the launcher must not depend on the client under test. Resolves the first reply line. */
function command(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('error', reject);
    // SHUTDOWN answers by closing the connection, so the close is the reply.
    socket.on('close', () => resolve(reply.split('\r\n')[0] ?? ''));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
