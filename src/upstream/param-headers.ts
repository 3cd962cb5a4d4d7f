/**
 * SEP-2243 custom headers (MCP 2026-07-28 server/tools#x-mcp-header and basic/transports#custom-headers-from-tool-parameters):
 * a tool may mark a parameter with `"x-mcp-header": "Name"`, and a tools/call over Streamable HTTP then carries the
 * parameter's value in an `Mcp-Param-Name` header too, so that intermediaries can route without reading the body.
 * switchboard is such a client of its upstreams and such a server to its clients; both sides use this codec.
 * (The SDK has one, but neither exports it nor uses it on the raw request paths switchboard relays on.)
 */

/** A parameter mirrored into a header. */
export interface ParamHeader {
  /** The property of the input schema. */
  property: string;
  /** The header name after `Mcp-Param-`, as declared. */
  name: string;
}

export type ParamHeaderScan = { ok: true; headers: readonly ParamHeader[] } | { ok: false; reason: string };

/** RFC 9110 section 5.6.2 token: ASCII without space, `:`, controls or delimiters (server/tools#x-mcp-header). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * server/tools#x-mcp-header: only parameters of primitive types may be mirrored: string, integer and boolean. JSON
 * Schema `number` is not one of them (a float has no one decimal form to compare; the 2026-07-28 conformance suite
 * checks that such a tool is left out).
 */
const PRIMITIVE_TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'boolean']);
/** basic/transports#value-encoding: the sentinel of a Base64-encoded value. */
const BASE64_SENTINEL = /^=\?base64\?(.*)\?=$/s;
/** RFC 4648 section 4, padded: what a strict decoder accepts (Node's Buffer.from would take anything). */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PREFIX = 'mcp-param-';

const scans = new WeakMap<object, ParamHeaderScan>();

/**
 * The x-mcp-header declarations of a tool's input schema (its top-level properties), or why the tool must be left
 * out: MCP 2026-07-28 server/tools#x-mcp-header, "Clients MUST reject tool definitions where any x-mcp-header value
 * violates these constraints": not empty, a token (ASCII, no space or `:`), case-insensitively unique, on a
 * string, integer or boolean parameter. Scanned once per schema object.
 */
export function scanParamHeaders(inputSchema: unknown): ParamHeaderScan {
  if (typeof inputSchema !== 'object' || inputSchema === null) return { ok: true, headers: [] };
  const cached = scans.get(inputSchema);
  if (cached) return cached;
  const scan = scanSchema(inputSchema as { properties?: unknown });
  scans.set(inputSchema, scan);
  return scan;
}

function scanSchema(schema: { properties?: unknown }): ParamHeaderScan {
  const properties = typeof schema.properties === 'object' && schema.properties !== null ? schema.properties as Record<string, unknown> : {};
  const headers: ParamHeader[] = [];
  const seen = new Set<string>();
  for (const [property, definition] of Object.entries(properties)) {
    if (typeof definition !== 'object' || definition === null || !('x-mcp-header' in definition)) continue;
    const { 'x-mcp-header': name, type } = definition as { 'x-mcp-header': unknown; type?: unknown };
    if (typeof name !== 'string' || name === '') return { ok: false, reason: `the x-mcp-header of "${property}" is empty or not a string` };
    if (!TOKEN.test(name)) return { ok: false, reason: `the x-mcp-header "${name}" of "${property}" has characters a header name cannot have` };
    if (seen.has(name.toLowerCase())) return { ok: false, reason: `the x-mcp-header "${name}" is declared twice (names are case-insensitive)` };
    if (typeof type !== 'string' || !PRIMITIVE_TYPES.has(type)) return { ok: false, reason: `"${property}" has an x-mcp-header but is not a string, integer or boolean` };
    seen.add(name.toLowerCase());
    headers.push({ property, name });
  }
  return { ok: true, headers };
}

/**
 * The Mcp-Param headers of a call (basic/transports#value-encoding): integers in decimal, booleans as `true`/`false`,
 * strings as they are when they are plain printable ASCII without leading or trailing whitespace (and do not look
 * like the sentinel), else `=?base64?<Base64 of the UTF-8>?=`. A null or absent argument gets no header.
 */
export function paramHeaderValues(headers: readonly ParamHeader[], args: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { property, name } of headers) {
    const value = args?.[property];
    const encoded = typeof value === 'string' ? encodeString(value)
      : typeof value === 'number' && Number.isFinite(value) ? String(value)
        : typeof value === 'boolean' ? String(value) : undefined;
    if (encoded !== undefined) out[`Mcp-Param-${name}`] = encoded;
  }
  return out;
}

function encodeString(value: string): string {
  const plain = /^[\x20-\x7e]*$/.test(value) && value.trim() === value && !BASE64_SENTINEL.test(value);
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/**
 * Checks a call's Mcp-Param headers against its arguments, as a server that reads the body must
 * (basic/transports#server-behavior-for-custom-headers): each argument with a value has its header, whose value,
 * Base64-decoded when it carries the sentinel (strictly: bad padding or characters are refused), equals the argument.
 * Returns what is wrong, or undefined. `header` looks a header up by its lower-case name.
 */
export function paramHeaderMismatch(headers: readonly ParamHeader[], args: Record<string, unknown> | undefined, header: (name: string) => string | undefined): string | undefined {
  for (const { property, name } of headers) {
    const value = args?.[property];
    const sent = header(`${PREFIX}${name.toLowerCase()}`);
    if (value === undefined || value === null) {
      if (sent !== undefined) return `the Mcp-Param-${name} header is sent but "${property}" has no value`;
      continue;
    }
    if (sent === undefined) return `"${property}" has a value but the Mcp-Param-${name} header is missing`;
    const decoded = decodeHeaderValue(sent);
    if (decoded === undefined) return `the Mcp-Param-${name} header is not valid Base64 of UTF-8`;
    const matches = typeof value === 'number' ? decoded.trim() !== '' && Number(decoded) === value
      : typeof value === 'boolean' ? decoded === String(value)
        : decoded === value;
    if (!matches) return `the Mcp-Param-${name} header does not match "${property}" in the body`;
  }
  return undefined;
}

function decodeHeaderValue(value: string): string | undefined {
  const encoded = BASE64_SENTINEL.exec(value)?.[1];
  if (encoded === undefined) return value;
  if (!STRICT_BASE64.test(encoded)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined;
  }
}
