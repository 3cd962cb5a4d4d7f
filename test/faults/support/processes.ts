import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../../../features/support/wait.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const START_TIMEOUT_MS = 60_000;

/** A real process of the fault tests: a switchboard replica or a mock server, started through tsx. */
export class RunningProcess {
  private child: ChildProcess | undefined;
  private outputText = '';
  /** Lines of its stdout, for the JSON logs of switchboard. */
  readonly lines: string[] = [];

  private constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    /** Whether a line of stdout says the process is ready; the first match's value is kept as `readyLine`. */
    private readonly isReady: (line: string) => boolean,
  ) {}

  readyLine = '';

  static async start(name: string, args: string[], isReady: (line: string) => boolean, env: Record<string, string> = {}): Promise<RunningProcess> {
    const running = new RunningProcess(name, args, env, isReady);
    await running.launch();
    return running;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last 8 KB it wrote, for failure messages. */
  output(): string {
    return this.outputText.slice(-8_000);
  }

  /** SIGKILL: a crash, nothing cleaned up. */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL');
  }

  /** SIGTERM: a clean stop. */
  async stop(): Promise<void> {
    await this.signalAndWait('SIGTERM');
  }

  /** SIGSTOP: the process hangs, its sockets stay open and answer nothing. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Starts it again with the same arguments (the same port). */
  async restart(): Promise<void> {
    if (this.child) await this.kill();
    await this.launch();
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    const exited = new Promise((done) => child.once('exit', done));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  private async launch(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', ...this.args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    let buffered = '';
    let ready: (() => void) | undefined;
    const readyNow = new Promise<void>((done) => (ready = done));
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.outputText = (this.outputText + text).slice(-64_000);
      buffered += text;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        this.lines.push(line);
        if (ready && this.isReady(line)) {
          this.readyLine = line;
          ready();
          ready = undefined;
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.outputText = (this.outputText + chunk.toString('utf8')).slice(-64_000)));
    const exited = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`${this.name} exited (${code ?? signal}) before it was ready:\n${this.output()}`))));
    const timeout = sleep(START_TIMEOUT_MS).then(() => { throw new Error(`${this.name} was not ready within ${START_TIMEOUT_MS} ms:\n${this.output()}`); });
    await Promise.race([readyNow, exited, timeout]);
  }
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** A mock MCP server process (mock-servers/mcp), by default with the echo, slow and hang tools. */
export async function startMockMcp(name: string, port: number, era: 'legacy' | 'modern' = 'legacy', tools = 'echo,slow,hang'): Promise<RunningProcess> {
  return RunningProcess.start(`mock MCP ${name}`, ['mock-servers/mcp/main.ts', '--name', name, '--port', String(port), '--tools', tools, '--era', era],
    (line) => line.includes('listening at'));
}

/** The mock OAuth authorization server process; its issuer URL is its first line. */
export async function startMockAuthServer(port: number, extra: string[] = []): Promise<RunningProcess> {
  return RunningProcess.start('mock authorization server', ['mock-servers/oauth/main.ts', '--port', String(port), ...extra], (line) => line.startsWith('http'));
}

/** A protected MCP server process behind the issuer. */
export async function startProtectedMcp(name: string, issuer: string, port: number): Promise<RunningProcess> {
  return RunningProcess.start(`protected MCP ${name}`, ['mock-servers/protected/main.ts', '--issuer', issuer, '--port', String(port), '--name', name],
    (line) => line.startsWith('http'));
}

export interface ReplicaOptions {
  port: number;
  configFile: string;
  storeUrl: string;
  secret: string;
  replicaId?: string;
}

/** A switchboard replica: the real command (src/cli.ts serve), its JSON log on stdout. */
export async function startSwitchboard(name: string, options: ReplicaOptions): Promise<RunningProcess> {
  return RunningProcess.start(name, ['src/cli.ts', 'serve', '--config', options.configFile, '--port', String(options.port), '--log-level', 'debug'],
    (line) => line.includes('"switchboard listening"'),
    { SWITCHBOARD_STORE_URL: options.storeUrl, SWITCHBOARD_SECRET: options.secret, ...(options.replicaId ? { SWITCHBOARD_REPLICA_ID: options.replicaId } : {}) });
}

/** A temporary directory for configuration files, removed at the end. */
export async function scratchDir(): Promise<{ path: (name: string) => string; write: (name: string, value: unknown) => Promise<string>; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-faults-'));
  return {
    path: (name) => join(dir, name),
    write: async (name, value) => {
      await writeFile(join(dir, name), JSON.stringify(value, null, 2));
      return join(dir, name);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The BDD suite's poll (features/support/wait.ts), with the longer bound real processes need. */
export function waitUntil<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  return eventually(check, what, timeoutMs);
}
