import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';

/** What a page's fetch() to switchboard gave it: what the browser let the page read, or the TypeError of a refusal. */
export interface PageFetch {
  status?: number;
  /** The headers the page could read (CORS hides the others). */
  headers?: Record<string, string | null>;
  text?: string;
  /** The browser's TypeError when CORS or the network refused the request. */
  failure?: string;
}

export interface PageRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Headers the page tries to read on every answer. */
const READ_HEADERS = ['mcp-session-id', 'mcp-protocol-version', 'www-authenticate', 'content-type'];

/**
 * A web app: a page served from its own origin (an HTTP server on a free loopback port), opened in headless Chromium,
 * whose script calls switchboard with fetch(). The browser does what browsers do: a CORS preflight before a request
 * with an Authorization or MCP header, and no reading of an answer CORS does not allow.
 */
export class WebApp {
  private constructor(private readonly server: Server, readonly origin: string, private browser?: Browser, private page?: Page) {}

  static async serve(): Promise<WebApp> {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>web app</title><p>web app</p>'));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return new WebApp(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
  }

  async fetch(request: PageRequest): Promise<PageFetch> {
    if (!this.page) {
      this.browser = await launchBrowser();
      this.page = await this.browser.newPage();
      await this.page.goto(`${this.origin}/`);
    }
    return this.page.evaluate(async ({ request, read }) => {
      try {
        const answer = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
        return { status: answer.status, headers: Object.fromEntries(read.map((name) => [name, answer.headers.get(name)])), text: await answer.text() };
      } catch (error) {
        return { failure: String(error) };
      }
    }, { request, read: READ_HEADERS });
  }

  async close(): Promise<void> {
    await this.browser?.close();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}
