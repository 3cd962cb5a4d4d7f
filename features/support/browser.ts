import { chromium, type Browser } from 'playwright-core';
import { chromiumExecutable } from '../../test/support/system-tools.js';

/** Chromium (found as test/support/system-tools.ts says), headless, with the flags this machine's closed network needs (no background connections). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumExecutable(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface BrowserSignIn {
  /** The text of the page the browser ended on (switchboard's callback page). */
  pageText: string;
  pageTitle: string;
}

/** A person opens the sign-in URL, types a user name and presses a button of the authorization server's form. */
export async function signInWithBrowser(url: string, username: string, decision: 'approve' | 'deny', screenshot?: string): Promise<BrowserSignIn> {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.fill('#username', username);
    await Promise.all([page.waitForURL(/\/oauth\/callback/), page.click(`button[name="decision"][value="${decision}"]`)]);
    if (screenshot) await page.screenshot({ path: screenshot });
    return { pageText: await page.innerText('body'), pageTitle: await page.title() };
  } finally {
    await browser.close();
  }
}
