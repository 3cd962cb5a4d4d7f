import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import { launchBrowser } from '../support/browser.js';
import { frontDoor } from '../support/front-door.js';
import { names } from '../support/lists.js';
import type { SwitchboardWorld } from '../support/world.js';

interface PageRow { server: string; state: string; health: string; tools: string; checked: string; latency: string; error: string }

interface OpenedPage {
  status: number;
  rows: PageRow[];
  scripts: number;
  /** Every request the page made, the page itself included. */
  requests: string[];
}

const pages = new WeakMap<SwitchboardWorld, OpenedPage>();

/** Opens /admin in Chromium, as an operator would (with a bearer token set by a proxy or a header extension). */
async function openStatusPage(world: SwitchboardWorld, token?: string): Promise<OpenedPage> {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext(token ? { extraHTTPHeaders: { authorization: `Bearer ${token}` } } : {});
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => void requests.push(request.url()));
    const response = await page.goto(new URL('/admin', world.url).href);
    // A string, so that the loader's helpers (tsx keeps function names with a __name helper) stay out of the page.
    const rows = await page.evaluate<PageRow[]>(`[...document.querySelectorAll('tbody tr')].map((tr) => ({
      server: tr.querySelector('th')?.textContent.trim() ?? '',
      ...Object.fromEntries(['state', 'health', 'tools', 'checked', 'latency', 'error'].map((c) => [c, tr.querySelector('.' + c)?.textContent.trim() ?? ''])),
    }))`);
    const scripts = await page.evaluate(() => document.scripts.length);
    const opened = { status: response?.status() ?? 0, rows, scripts, requests };
    pages.set(world, opened);
    return opened;
  } finally {
    await browser.close();
  }
}

function opened(world: SwitchboardWorld): OpenedPage {
  const page = pages.get(world);
  assert.ok(page, 'no page was opened');
  return page;
}

When('an operator opens the status page in a browser', async function (this: SwitchboardWorld) {
  await openStatusPage(this);
});

When('an operator opens the status page in a browser without a token', async function (this: SwitchboardWorld) {
  await openStatusPage(this);
});

When(/^an operator opens the status page in a browser with a token of "([^"]+)" (with|without) the scope "([^"]+)"$/, async function (this: SwitchboardWorld, user: string, withOrWithout: string, scope: string) {
  const token = await frontDoor(this).tokenFor(user, withOrWithout === 'with' ? scope : 'other');
  frontDoor(this).tokens.set(`operator ${user} ${withOrWithout}`, token);
  await openStatusPage(this, token);
});

Then('the browser is refused with the status {int}', function (this: SwitchboardWorld, status: number) {
  const page = opened(this);
  assert.equal(page.status, status);
  assert.deepEqual(page.rows, [], 'a refused page lists no servers');
});

Then('the page lists the servers {string}', function (this: SwitchboardWorld, list: string) {
  const page = opened(this);
  assert.equal(page.status, 200);
  assert.deepEqual(page.rows.map((r) => r.server), names(list));
});

function rowOf(world: SwitchboardWorld, server: string): PageRow {
  const row = opened(world).rows.find((r) => r.server === server);
  assert.ok(row, `the page does not list "${server}"`);
  return row;
}

Then('the page shows {string} as {word} and healthy, with {int} tools and no error', function (this: SwitchboardWorld, server: string, state: string, tools: number) {
  const row = rowOf(this, server);
  assert.deepEqual([row.state, row.health, row.tools, row.error], [state, 'healthy', String(tools), ''], JSON.stringify(row));
  assert.notEqual(row.checked, 'not yet', 'the page shows when the server was last checked');
  assert.match(row.latency, /^\d+(\.\d+)? ms$/);
});

Then('the page shows {string} as {word} and unhealthy, with {int} tools and an error mentioning {string}', function (this: SwitchboardWorld, server: string, state: string, tools: number, words: string) {
  const row = rowOf(this, server);
  assert.deepEqual([row.state, row.health, row.tools], [state, 'unhealthy', String(tools)], JSON.stringify(row));
  assert.ok(row.error.includes(words), JSON.stringify(row));
});

Then('the page runs no script and loads nothing else', function (this: SwitchboardWorld) {
  const page = opened(this);
  assert.equal(page.scripts, 0);
  assert.deepEqual(page.requests, [new URL('/admin', this.url).href]);
});
