import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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

/**
 * Installs switchboard as a user of the published package gets it: `npm pack` of this checkout (dist/ built first,
 * `files` in package.json decides what goes in), then `npm install` of that tarball into `dir/app`, an empty folder,
 * with the package's production dependencies from the npm registry (or npm's cache) and nothing of this checkout.
 * Returns the folder, where `npx switchboard` runs the installed command.
 */
export async function installPackage(dir: string): Promise<string> {
  await buildSwitchboard();
  const run = promisify(execFile);
  const env = npmFreeEnv();
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO_ROOT, env });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  if (!packed) throw new Error(`npm pack printed no package: ${stdout}`);
  const app = join(dir, 'app');
  await mkdir(app);
  await run('npm', ['install', '--prefix', app, '--no-audit', '--no-fund', '--prefer-offline', join(dir, packed.filename)], { cwd: app, env });
  return app;
}

/**
 * The environment without the `npm_*` variables of the `npm run` this runs under: they name this checkout as the
 * project (npm_config_local_prefix, npm_package_*), and an npm or npx started here must see only its own folder.
 */
export function npmFreeEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.toLowerCase().startsWith('npm_')) env[name] = value;
  return { ...env, ...extra };
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
