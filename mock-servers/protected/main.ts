/**
 * Standalone protected MCP server.
 *
 *   tsx mock-servers/protected/main.ts --issuer http://127.0.0.1:9000/t1 [--port 9100] [--path /mcp]
 *     [--introspection-url URL] [--name N] [--required-scopes "mcp:read"]
 *     [--tool-scope admin_action=admin] [--prm-mode header|path-aware|root|none]
 *     [--audience strict|none] [--scope-challenge operation|accumulated]
 *
 * Without --introspection-url the endpoint is read from the issuer's RFC 8414 metadata.
 * Prints the MCP URL as the only line on stdout; logs go to stderr.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { PrmMode } from './options.js';
import { startProtectedMcpServer } from './server.js';

const USAGE =
  'usage: tsx mock-servers/protected/main.ts --issuer URL [--introspection-url URL] [--port N] [--host H] [--path /mcp] [--name N] [--required-scopes "a b"] [--tool-scope tool=s1,s2]... [--prm-mode header|path-aware|root|none] [--audience strict|none] [--scope-challenge operation|accumulated]';

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${flag} must be one of ${allowed.join(', ')}, got ${value}`);
  return value as T;
}

/** Finds introspection_endpoint using the RFC 8414 / OIDC well-known URLs in the MCP spec's order. */
async function discoverIntrospection(issuer: string): Promise<string> {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  const candidates = [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
  for (const candidate of candidates) {
    const response = await fetch(candidate, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (!response?.ok) continue;
    const metadata = (await response.json()) as Record<string, unknown>;
    if (typeof metadata.introspection_endpoint === 'string') return metadata.introspection_endpoint;
  }
  throw new Error(`no introspection_endpoint found in the metadata of ${issuer}; pass --introspection-url`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      issuer: { type: 'string' },
      'introspection-url': { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      path: { type: 'string', default: '/mcp' },
      name: { type: 'string' },
      'required-scopes': { type: 'string' },
      'tool-scope': { type: 'string', multiple: true },
      'prm-mode': { type: 'string' },
      audience: { type: 'string' },
      'scope-challenge': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.issuer) throw new Error('--issuer is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0) throw new Error(`--port must be a non-negative integer, got ${values.port}`);
  const toolScopes: Record<string, string[]> = {};
  for (const spec of values['tool-scope'] ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new Error(`--tool-scope ${spec}: expected tool=scope[,scope]`);
    toolScopes[spec.slice(0, eq)] = spec.slice(eq + 1).split(/[\s,]+/).filter((s) => s !== '');
  }
  const prmMode = oneOf<PrmMode>(values['prm-mode'], ['header', 'path-aware', 'root', 'none'], '--prm-mode');
  const audience = oneOf(values.audience, ['strict', 'none'] as const, '--audience');
  const scopeChallenge = oneOf(values['scope-challenge'], ['operation', 'accumulated'] as const, '--scope-challenge');

  const server = await startProtectedMcpServer({
    authServer: { issuer: values.issuer, introspectionUrl: values['introspection-url'] ?? (await discoverIntrospection(values.issuer)) },
    port,
    host: values.host,
    path: values.path,
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values['required-scopes'] !== undefined ? { requiredScopes: values['required-scopes'].split(/[\s,]+/).filter((s) => s !== '') } : {}),
    toolScopes,
    ...(prmMode !== undefined ? { prmMode } : {}),
    ...(audience !== undefined ? { audience } : {}),
    ...(scopeChallenge !== undefined ? { scopeChallenge } : {}),
    logger: pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2)),
  });
  console.log(server.url);

  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  console.error(USAGE);
  process.exit(2);
});
