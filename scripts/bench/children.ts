import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root: children run from here so `--import tsx` and relative paths resolve. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXIT_WITH_PARENT = pathToFileURL(fileURLToPath(new URL('./exit-with-parent.mjs', import.meta.url))).href;
const STDERR_TAIL_LINES = 40;
const STOP_GRACE_MS = 5_000;

export interface ChildSpec {
  /** For messages: "upstreams", "switchboard". */
  name: string;
  /** An entry point, relative to the repository root: TypeScript (run through tsx), or compiled JavaScript (`.js`, run as it is). */
  script: string;
  args: string[];
  /** Node flags before the script, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
}

const running = new Set<BenchChild>();

/**
 * A bench child process: `node [--import tsx] <script>` directly (no npx/tsx wrapper), so its pid is the process
 * that does the work (the one `--cpu-prof` profiles and signals reach). Its stderr is kept (a tail for errors) and
 * scanned for MaxListenersExceededWarning.
 */
export class BenchChild {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<void>;
  maxListenersWarnings = 0;
  exitCode: number | null | undefined;
  private readonly child: ChildProcess;
  private readonly stderrTail: string[] = [];
  private readonly stdoutLines: string[] = [];
  private readonly lineWaiters = new Set<() => void>();

  constructor(spec: ChildSpec) {
    this.name = spec.name;
    const loader = spec.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
    this.child = spawn(process.execPath, [...(spec.nodeFlags ?? []), ...loader, '--import', EXIT_WITH_PARENT, spec.script, ...spec.args], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.script}`);
    this.pid = this.child.pid;
    running.add(this);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.stdoutLines.push(line);
      for (const wake of this.lineWaiters) wake();
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      if (line.includes('MaxListenersExceededWarning')) this.maxListenersWarnings++;
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        running.delete(this);
        for (const wake of this.lineWaiters) wake();
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The last lines the child wrote to stderr, for error messages. */
  stderr(): string {
    return this.stderrTail.join('\n');
  }

  /** Waits for a stdout line starting with `prefix` and returns the rest of it. */
  async waitForLine(prefix: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.stdoutLines.find((l) => l.startsWith(prefix));
      if (line !== undefined) return line.slice(prefix.length);
      if (!this.running) throw new Error(`${this.name} exited (code ${this.exitCode}) before printing "${prefix}"\n${this.stderr()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name} did not print "${prefix}" within ${timeoutMs} ms\n${this.stderr()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const waiters = this.lineWaiters;
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** SIGTERM (the CLI closes its sessions and exits, writing a CPU profile if asked to), SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** For the process 'exit' handler, where nothing asynchronous runs any more. */
  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

export function killAllChildrenNow(): void {
  for (const child of running) child.killNow();
}

/** A port that was free a moment ago (the switchboard CLI does not report the port it bound when its logs are silent). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
