import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { Given, When, Then } from '@cucumber/cucumber';
import { auth } from '../support/auth.js';
import { signInWithBrowser, type BrowserSignIn } from '../support/browser.js';
import type { SwitchboardWorld } from '../support/world.js';

const pages = new WeakMap<SwitchboardWorld, BrowserSignIn>();

Given('an authorization server {string} with a sign-in form', async function (this: SwitchboardWorld, name: string) {
  await auth(this).startAuthServer(name, { approval: 'form' });
});

function lastSignInUrl(world: SwitchboardWorld): string {
  const [url] = [...auth(world).signInUrls.values()].slice(-1);
  assert.ok(url, 'no sign-in URL was handed out');
  return url;
}

When('the user signs in as {string} in a browser', async function (this: SwitchboardWorld, username: string) {
  mkdirSync('reports', { recursive: true });
  pages.set(this, await signInWithBrowser(lastSignInUrl(this), username, 'approve', 'reports/browser-sign-in.png'));
});

When('the user refuses the sign-in in a browser', async function (this: SwitchboardWorld) {
  pages.set(this, await signInWithBrowser(lastSignInUrl(this), 'dana', 'deny'));
});

Then('the browser page says the sign-in worked', function (this: SwitchboardWorld) {
  const page = pages.get(this);
  assert.match(page?.pageTitle ?? '', /Signed in/);
  assert.match(page!.pageText, /signed in to jira/i);
  assert.match(page!.pageText, /close this window/i);
});

Then('the browser page says the sign-in failed with {string}', function (this: SwitchboardWorld, reason: string) {
  const page = pages.get(this);
  assert.match(page?.pageTitle ?? '', /Sign-in failed/);
  assert.ok(page!.pageText.includes(reason), page!.pageText);
});
