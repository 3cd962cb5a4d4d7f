import assert from 'node:assert/strict';
import { After, Given, Then, When } from '@cucumber/cucumber';
import { frontDoor } from '../support/front-door.js';
import { allowBrowserOrigin, initializeBody, MCP_POST_HEADERS, modernToolsList } from '../support/http.js';
import { WebApp, type PageFetch } from '../support/web-app.js';
import type { SwitchboardWorld } from '../support/world.js';

const apps = new WeakMap<SwitchboardWorld, WebApp>();
const fetched = new WeakMap<SwitchboardWorld, PageFetch>();

function app(world: SwitchboardWorld): WebApp {
  const webApp = apps.get(world);
  assert.ok(webApp, 'no web app in this scenario');
  return webApp;
}

function lastFetch(world: SwitchboardWorld): PageFetch {
  const answer = fetched.get(world);
  assert.ok(answer, 'the web app has not called switchboard');
  return answer;
}

async function serveWebApp(world: SwitchboardWorld): Promise<WebApp> {
  const webApp = await WebApp.serve();
  apps.set(world, webApp);
  return webApp;
}

Given('a web app whose origin switchboard allows', async function (this: SwitchboardWorld) {
  allowBrowserOrigin(this.config, (await serveWebApp(this)).origin);
});

Given('a web app on an origin switchboard does not allow', async function (this: SwitchboardWorld) {
  await serveWebApp(this);
});

/** The first request of the scenario's era: an initialize (2025-11-25), or a tools/list with its envelope (2026-07-28). */
function firstRequest(world: SwitchboardWorld): { headers: Record<string, string>; body: string } {
  return world.clientEra === 'legacy' ? { headers: { ...MCP_POST_HEADERS }, body: initializeBody() } : modernToolsList();
}

async function callFromBrowser(world: SwitchboardWorld, token?: string): Promise<void> {
  const { headers, body } = firstRequest(world);
  if (token) headers.authorization = `Bearer ${token}`;
  fetched.set(world, await app(world).fetch({ url: world.url, method: 'POST', headers, body }));
}

When('the web app calls switchboard from the browser with the token of {string}', async function (this: SwitchboardWorld, user: string) {
  await callFromBrowser(this, await frontDoor(this).tokenFor(user));
});

When('the web app calls switchboard from the browser', async function (this: SwitchboardWorld) {
  await callFromBrowser(this);
});

Then('the web app reads the answer', function (this: SwitchboardWorld) {
  const answer = lastFetch(this);
  assert.equal(answer.failure, undefined, `the browser refused the page the answer: ${answer.failure}`);
  assert.equal(answer.status, 200, answer.text);
  const text = answer.text ?? '';
  assert.ok(text.includes('"result"'), text);
  // A 2025-11-25 client needs its session id, which only an exposed header lets a page read.
  if (this.clientEra === 'legacy') assert.ok(answer.headers?.['mcp-session-id'], 'the page could not read Mcp-Session-Id');
});

Then('the web app reads the 401 and its challenge, which says where to sign in', function (this: SwitchboardWorld) {
  const answer = lastFetch(this);
  assert.equal(answer.failure, undefined, `the browser refused the page the answer: ${answer.failure}`);
  assert.equal(answer.status, 401, answer.text);
  const challenge = answer.headers?.['www-authenticate'] ?? '';
  assert.match(challenge, /^Bearer /, 'the page could not read WWW-Authenticate');
  assert.ok(challenge.includes(`resource_metadata="${new URL(this.url).origin}/.well-known/oauth-protected-resource/mcp"`), challenge);
});

Then('the browser gives the web app nothing to read', function (this: SwitchboardWorld) {
  const answer = lastFetch(this);
  assert.equal(answer.status, undefined, `the page read an answer: HTTP ${answer.status} ${answer.text}`);
  assert.match(answer.failure ?? '', /TypeError/);
});

After(async function (this: SwitchboardWorld) {
  await apps.get(this)?.close();
});
