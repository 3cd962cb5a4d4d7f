import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The command users run: `bin/switchboard.js`, which runs the compiled JavaScript in dist/. */
export const SWITCHBOARD_BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

let build: Promise<unknown> | undefined;

/**
 * Builds dist/ from the current sources, once per test run, before the first scenario that runs the command: a
 * scenario must never run JavaScript older than the code under test. Incremental, so seconds when nothing changed.
 */
export function buildSwitchboard(): Promise<unknown> {
  build ??= promisify(execFile)(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT });
  return build;
}

export interface ProcessOutcome {
  /** null when the process was killed for running too long. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs switchboard as a child process and waits for it to exit (it is killed after timeoutMs). */
export async function runSwitchboardProcess(args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<ProcessOutcome> {
  await buildSwitchboard();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SWITCHBOARD_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A scratch directory for one scenario's files (configuration files, mostly). */
export class ScenarioFiles {
  private constructor(readonly dir: string) {}

  static async create(): Promise<ScenarioFiles> {
    return new ScenarioFiles(await mkdtemp(join(tmpdir(), 'switchboard-bdd-')));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async write(name: string, text: string): Promise<string> {
    await writeFile(this.path(name), text);
    return this.path(name);
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
