import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The programs the tests run that npm does not install: Chromium (the browser sign-in scenarios drive it through
 * playwright-core) and redis-server (the Redis token store). This module is the one place that says where they are
 * looked for; `npm test`'s pretest step (scripts/test-prerequisites.ts) and the test support code both use it.
 */
export interface SystemTool {
  /** What it is for, in the words of the tests that need it. */
  label: string;
  /** The Debian package that provides it. */
  debianPackage: string;
  /** Where it is looked for, in order, for messages. */
  lookup: string;
  /** The executable found, or undefined. */
  find(env?: NodeJS.ProcessEnv): string | undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutableFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export const CHROMIUM: SystemTool = {
  label: 'Chromium (browser sign-in scenarios)',
  debianPackage: 'chromium',
  lookup: 'CHROMIUM_PATH, /usr/bin/chromium, chromium on PATH',
  find(env = process.env) {
    // A CHROMIUM_PATH that points nowhere is a mistake to report, not a reason to pick another browser silently.
    if (env.CHROMIUM_PATH) return isExecutableFile(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
    return isExecutableFile('/usr/bin/chromium') ? '/usr/bin/chromium' : onPath('chromium', env);
  },
};

export const REDIS_SERVER: SystemTool = {
  label: 'redis-server (Redis token store scenarios and tests)',
  debianPackage: 'redis-server',
  lookup: 'redis-server on PATH',
  find(env = process.env) {
    return onPath('redis-server', env);
  },
};

/** The Chromium executable for the tests; throws with what to do when there is none. */
export function chromiumExecutable(): string {
  const found = CHROMIUM.find();
  if (found) return found;
  throw new Error(`Chromium not found (looked at ${CHROMIUM.lookup}); run \`npm run pretest\` to install it or to see how`);
}
