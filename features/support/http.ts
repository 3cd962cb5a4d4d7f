import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

/** What switchboard answered to a hand-made HTTP request. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A plain HTTP request, for what an MCP SDK client never sends: foreign Origin or Host headers, oversized bodies,
 * made-up session ids. node:http rather than fetch, because fetch will not set a Host header.
 */
export function sendHttp(url: string, init: HttpRequestInit = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // A server may answer (413) and close before reading a large body; the answer is what counts.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(init.body);
  });
}

/**
 * The JSON-RPC message of an answer, whether it came as JSON or as an SSE event. A resumable stream opens with a
 * priming event whose data is empty (MCP 2025-11-25 basic/transports#resumability-and-redelivery); the message is the
 * first event with data.
 */
export function jsonRpcOf(answer: HttpAnswer): { result?: unknown; error?: { code: number; message: string } } {
  const data = answer.headers['content-type']?.includes('text/event-stream')
    ? answer.text.split('\n').find((line) => line.startsWith('data:') && line.slice(5).trim() !== '')?.slice(5) ?? ''
    : answer.text;
  return JSON.parse(data) as ReturnType<typeof jsonRpcOf>;
}

export const MCP_POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } as const;

/** A hand-made 2026-07-28 tools/list: the headers and the `_meta` envelope every modern request carries. */
export function modernToolsList(): { headers: Record<string, string>; body: string } {
  return {
    headers: { ...MCP_POST_HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'hand-made', version: '1.0.0' } } } }),
  };
}

/** Lets pages of `origin` use the switchboard of a scenario's configuration (`http.allowedOrigins`). */
export function allowBrowserOrigin(config: Record<string, unknown>, origin: string): void {
  const http = (config.http ??= {}) as Record<string, unknown>;
  http.allowedOrigins = [...((http.allowedOrigins as string[] | undefined) ?? []), origin];
}

export function initializeBody(): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'hand-made', version: '1.0.0' } },
  });
}
