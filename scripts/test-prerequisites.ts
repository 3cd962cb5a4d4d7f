/**
 * `npm test`'s pretest step (and .ci/run's): makes sure the programs the tests run, but npm does not install, are
 * there: Chromium and redis-server (looked up as test/support/system-tools.ts says). A missing one is installed when
 * this user can (root with apt-get); otherwise the step stops at once with the command to run, so that no scenario
 * fails late, or is skipped, for want of it.
 */
import { spawnSync } from 'node:child_process';
import { CHROMIUM, REDIS_SERVER, type SystemTool } from '../test/support/system-tools.js';

const TOOLS = [CHROMIUM, REDIS_SERVER];

function fail(lines: string[]): never {
  console.error(['test prerequisites: missing', ...lines.map((line) => `  ${line}`)].join('\n'));
  process.exit(1);
}

function missing(): SystemTool[] {
  return TOOLS.filter((tool) => tool.find() === undefined);
}

function installCommand(packages: string[], asRoot: boolean): string {
  const sudo = asRoot ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}

function describe(tools: SystemTool[]): string[] {
  return tools.map((tool) => `${tool.label}: looked for ${tool.lookup}`);
}

function run(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

// An explicit CHROMIUM_PATH that points nowhere is the user's to fix; installing a package would not help.
if (process.env.CHROMIUM_PATH && CHROMIUM.find() === undefined) {
  fail([`CHROMIUM_PATH is set to "${process.env.CHROMIUM_PATH}", which is not an executable file.`, 'Point it to a Chromium executable, or unset it to use /usr/bin/chromium or chromium on PATH.']);
}

let absent = missing();
if (absent.length > 0) {
  const packages = absent.map((tool) => tool.debianPackage);
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasApt) {
    fail([...describe(absent), `Install them with your system's package manager (on Debian or Ubuntu: ${installCommand(packages, isRoot)}), then run npm test again.`]);
  }
  if (!isRoot) fail([...describe(absent), `Run: ${installCommand(packages, false)}`, 'then npm test again.']);
  console.error(`test prerequisites: installing ${packages.join(', ')} (apt-get)`);
  if (!run('apt-get', ['update', '-qq']) || !run('apt-get', ['install', '-y', '-qq', ...packages])) {
    fail([...describe(absent), `apt-get failed; run it by hand: ${installCommand(packages, true)}`]);
  }
  absent = missing();
  if (absent.length > 0) fail([...describe(absent), `still not found after apt-get installed ${packages.join(', ')}.`]);
}

console.error(`test prerequisites: ${TOOLS.map((tool) => `${tool.debianPackage} ${tool.find()}`).join(', ')}`);
