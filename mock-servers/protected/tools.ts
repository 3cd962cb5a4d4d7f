import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { TokenClaims } from './introspection.js';

/** Where handlers find the token's claims: `AuthInfo.extra.claims`, set by the auth gate. */
export const CLAIMS_KEY = 'claims';

function text(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }] };
}

function claimsOf(extra: { authInfo?: { extra?: Record<string, unknown> } }): TokenClaims {
  return (extra.authInfo?.extra?.[CLAIMS_KEY] as TokenClaims | undefined) ?? {};
}

/**
 * One MCP server per session, with the fixture tools:
 * `whoami` (who the token says is calling, and which headers arrived),
 * `echo`, and one tool per `toolScopes` key.
 */
export function createToolServer(name: string, toolScopes: Record<string, string[]>): McpServer {
  const server = new McpServer({ name, version: '1.0.0' });

  server.registerTool(
    'whoami',
    { description: 'The caller as the access token describes it, and the names of the HTTP headers received.' },
    (extra) => {
      const claims = claimsOf(extra);
      const headers = Object.keys(extra.requestInfo?.headers ?? {})
        .map((h) => h.toLowerCase())
        .sort();
      return text({ sub: claims.sub, aud: claims.aud, scope: claims.scope, client_id: claims.client_id, headers });
    },
  );

  server.registerTool('echo', { description: 'Returns its text argument.', inputSchema: { text: z.string() } }, ({ text: value }) => text(value));

  for (const [tool, scopes] of Object.entries(toolScopes)) {
    if (tool === 'whoami' || tool === 'echo') continue;
    server.registerTool(tool, { description: `A tool that needs scope: ${scopes.join(' ')}` }, (extra) => {
      const claims = claimsOf(extra);
      return text({ tool, ok: true, sub: claims.sub, scope: claims.scope });
    });
  }
  return server;
}
