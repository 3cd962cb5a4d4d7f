import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { After, Given, Then, When } from '@cucumber/cucumber';
import { parseDocument } from 'yaml';
import { DEFAULT_HTTP_PORT } from '../../src/config/index.js';
import { auth } from '../support/auth.js';
import { buildSwitchboard, installPackage, REPO_ROOT, runSwitchboardProcess } from '../support/cli.js';
import { eventually } from '../support/wait.js';
import type { SwitchboardWorld } from '../support/world.js';

Given('the configuration file {string}:', async function (this: SwitchboardWorld, name: string, text: string) {
  await (await this.files()).write(name, text);
});

/** `value` is a YAML scalar: `"eighty"` is a string, `5000` a number. */
Given('the configuration file {string} sets {word} to {}', async function (this: SwitchboardWorld, name: string, key: string, value: string) {
  const files = await this.files();
  const document = parseDocument(await readFile(files.path(name), 'utf8'));
  document.setIn(key.split('.'), parseDocument(value).toJS());
  await files.write(name, document.toString());
});

Given('the environment variable {string} holds the address of {string}', function (this: SwitchboardWorld, variable: string, upstream: string) {
  const url = this.upstreams.get(upstream)?.url;
  assert.ok(url, `no upstream "${upstream}" with an address in this scenario`);
  this.childEnv[variable] = url;
});

When('switchboard is started with {string}', async function (this: SwitchboardWorld, name: string) {
  const files = await this.files();
  // The variable the configuration refers to is set, so only the problem under test can stop start-up.
  const env = { WEATHER_URL: 'http://127.0.0.1:1/mcp', ...this.childEnv };
  this.lastProcess = await runSwitchboardProcess(['serve', '--config', files.path(name)], { cwd: REPO_ROOT, env, timeoutMs: 30_000 });
});

Then('start-up fails with an error naming {string}, {string} and {string}', function (this: SwitchboardWorld, file: string, key: string, expected: string) {
  const outcome = this.lastProcess;
  assert.ok(outcome, 'switchboard was not started');
  assert.notEqual(outcome.code, null, 'switchboard did not stop; it was killed after the time limit');
  assert.notEqual(outcome.code, 0, 'switchboard exited with 0');
  for (const part of [file, key, expected]) assert.ok(outcome.stderr.includes(part), `the error does not mention ${part}:\n${outcome.stderr}`);
  // One line names the key and what was expected, so a person finds both together.
  assert.ok(outcome.stderr.split('\n').some((line) => line.includes(key) && line.includes(expected)), `no line names both ${key} and ${expected}:\n${outcome.stderr}`);
});

When('an MCP client launches switchboard over stdio with {string}', async function (this: SwitchboardWorld, name: string) {
  await this.launchOverStdio(name);
});

/** Where this scenario installed the package (the step below), per scenario. */
const installs = new WeakMap<SwitchboardWorld, string>();

Given('switchboard\'s package is packed and installed in an empty folder', { timeout: 180_000 }, async function (this: SwitchboardWorld) {
  installs.set(this, await installPackage((await this.files()).dir));
});

When('an MCP client launches "npx switchboard" over stdio with {string} in that folder', async function (this: SwitchboardWorld, name: string) {
  const folder = installs.get(this);
  assert.ok(folder, 'the package was not installed in this scenario');
  await this.launchOverStdio(name, folder);
});

Then('switchboard wrote its logs to stderr and nothing but the protocol to stdout', async function (this: SwitchboardWorld) {
  const client = this.client();
  // A line on stdout that is not JSON-RPC makes the client's transport report an error.
  assert.deepEqual(client.transportErrors.map((e) => e.message), []);
  const logs = client.serverStderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg?: string });
  assert.ok(logs.some((entry) => entry.msg === 'switchboard serving on stdio'), `no start-up log on stderr:\n${client.serverStderr}`);
});

/** Listeners that stand for another program holding a port, per scenario. */
const portHolders = new WeakMap<SwitchboardWorld, { server?: Server; port: number }>();

function holdPort(port: number): Promise<{ server?: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      // Already held by some other program on this machine: the port is taken, which is all the scenario needs.
      if (error.code === 'EADDRINUSE' && port !== 0) resolve({ port });
      else reject(error);
    });
    server.listen(port, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

function heldPort(world: SwitchboardWorld): number {
  const held = portHolders.get(world);
  assert.ok(held, 'no port is held in this scenario');
  return held.port;
}

Given("another program listens on switchboard's default port", async function (this: SwitchboardWorld) {
  portHolders.set(this, await holdPort(DEFAULT_HTTP_PORT));
});

Given('another program listens on a port', async function (this: SwitchboardWorld) {
  portHolders.set(this, await holdPort(0));
});

After(async function (this: SwitchboardWorld) {
  const server = portHolders.get(this)?.server;
  if (server) await new Promise((resolve) => server.close(resolve));
});

When('switchboard is started over stdio with {string} and that port chosen with {word}', async function (this: SwitchboardWorld, name: string, how: string) {
  const files = await this.files();
  const port = heldPort(this);
  const args = ['serve', '--stdio', '--config', files.path(name)];
  if (how === '--port') args.push('--port', String(port));
  else {
    const document = parseDocument(await readFile(files.path(name), 'utf8'));
    document.setIn(['http', 'port'], port);
    await files.write(name, document.toString());
  }
  const env = { WEATHER_URL: 'http://127.0.0.1:1/mcp', ...this.childEnv };
  this.lastProcess = await runSwitchboardProcess(args, { cwd: REPO_ROOT, env, timeoutMs: 30_000 });
});

Then('start-up fails saying that the port is taken and how to choose another', function (this: SwitchboardWorld) {
  const outcome = this.lastProcess;
  assert.ok(outcome, 'switchboard was not started');
  assert.notEqual(outcome.code, null, 'switchboard did not stop; it was killed after the time limit');
  assert.notEqual(outcome.code, 0, 'switchboard exited with 0');
  const line = outcome.stderr.split('\n').find((text) => text.includes(`port ${heldPort(this)} `));
  assert.ok(line, `no line names port ${heldPort(this)}:\n${outcome.stderr}`);
  for (const part of ['taken', '--port', 'http.port']) assert.ok(line.includes(part), `the error does not mention ${part}: ${line}`);
});

Then('the sign-in sent the browser back to switchboard on a free port instead of the default one', function (this: SwitchboardWorld) {
  const outcome = auth(this).lastSignIn;
  assert.ok(outcome?.callbackUrl, 'no sign-in reached a callback');
  const callback = new URL(outcome.callbackUrl);
  assert.equal(callback.hostname, '127.0.0.1');
  assert.equal(callback.pathname, '/oauth/callback');
  assert.notEqual(Number(callback.port), DEFAULT_HTTP_PORT, `the redirect URI kept the taken port: ${callback.href}`);
  assert.equal(outcome.status, 200, outcome.text);
});

// --- the demo (npm start) ---

const demos = new WeakMap<SwitchboardWorld, { child: ChildProcess; endpoint: Promise<string> }>();

When('the demo is started with npm start', async function (this: SwitchboardWorld) {
  // The demo runs the switchboard command from dist/, as npm install builds it.
  await buildSwitchboard();
  // npm start is `tsx scripts/demo.ts`; run directly, so the pid is the demo's own and Ctrl-C (SIGINT) stops it.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const endpoint = new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /MCP endpoint:\s+(\S+)/.exec(output)?.[1];
      if (found) resolve(found);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`the demo exited (${code}) before printing its endpoint:\n${output}`)));
  });
  endpoint.catch(() => {});
  demos.set(this, { child, endpoint });
});

async function demoEndpoint(world: SwitchboardWorld): Promise<string> {
  const demo = demos.get(world);
  assert.ok(demo, 'no demo runs in this scenario');
  return demo.endpoint;
}

Then('the demo prints an MCP endpoint that is not on the default port', async function (this: SwitchboardWorld) {
  const endpoint = new URL(await demoEndpoint(this));
  assert.equal(endpoint.pathname, '/mcp');
  assert.notEqual(Number(endpoint.port), DEFAULT_HTTP_PORT);
});

Then("the demo's switchboard is ready with the servers {string}", async function (this: SwitchboardWorld, list: string) {
  const readyz = new URL('/readyz', await demoEndpoint(this)).href;
  const servers = await eventually(async () => {
    const answer = await fetch(readyz).then((r) => r.json() as Promise<{ servers?: Record<string, unknown> }>, () => undefined);
    return answer?.servers && Object.keys(answer.servers).length === 3 ? answer.servers : undefined;
  }, 'the demo to report its servers');
  assert.deepEqual(Object.keys(servers).sort(), list.split(',').map((s) => s.trim()).sort());
});

After(async function (this: SwitchboardWorld) {
  const demo = demos.get(this);
  if (!demo || demo.child.exitCode !== null) return;
  const exited = new Promise((resolve) => demo.child.once('exit', resolve));
  demo.child.kill('SIGINT');
  await exited;
});
