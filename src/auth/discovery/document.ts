/** Fetching one metadata document and reading its fields, treating every byte as hostile. */
import { BlockedUrlError, describeUrl, InvalidMetadataError, UnexpectedStatusError } from '../errors.js';
import { checkUrl, type FetchPolicy } from './policy.js';

export type JsonObject = Record<string, unknown>;

export type DocumentOutcome = { found: true; document: JsonObject } | { found: false; status: number };

/**
 * GETs `url`. A 4xx means "not published here": MCP 2025-11-25 has clients try the well-known candidates in order,
 * and servers answer a missing one with 404 (some with 401/403/405). 200 must carry a JSON object; anything else
 * (5xx, an unfollowed 3xx) is an UnexpectedStatusError rather than a silent fallback.
 */
export async function fetchDocument(fetchFn: typeof fetch, url: URL, headers: Record<string, string> = {}): Promise<DocumentOutcome> {
  const response = await fetchFn(url, { headers: { accept: 'application/json', ...headers } });
  if (response.status >= 400 && response.status < 500) {
    await response.body?.cancel().catch(() => undefined);
    return { found: false, status: response.status };
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new UnexpectedStatusError(url, response.status);
  }
  // RFC 8414 section 3.2 / RFC 9728 section 3.2: the response is application/json. Accept +json suffixes too.
  if (!isJsonMediaType(response.headers.get('content-type'))) {
    await response.body?.cancel().catch(() => undefined);
    throw new InvalidMetadataError(url, 'content-type is not application/json');
  }
  const text = await response.text(); // bounded in size and time by the guarded fetch
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidMetadataError(url, 'body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidMetadataError(url, 'body is not a JSON object');
  }
  return { found: true, document: parsed as JsonObject };
}

function isJsonMediaType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const essence = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  return essence === 'application/json' || /^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence);
}

/** Field readers: each throws InvalidMetadataError naming the field, never echoing its value. */
export class Fields {
  constructor(
    readonly document: JsonObject,
    private readonly source: URL,
  ) {}

  private has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.document, name);
  }

  requiredString(name: string): string {
    const value = this.has(name) ? this.document[name] : undefined;
    if (typeof value !== 'string' || value.length === 0) throw new InvalidMetadataError(this.source, `${name} must be a non-empty string`);
    return value;
  }

  optionalString(name: string): string | undefined {
    if (!this.has(name) || this.document[name] === undefined) return undefined;
    return this.requiredString(name);
  }

  optionalStringArray(name: string): string[] | undefined {
    if (!this.has(name)) return undefined;
    const value = this.document[name];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      throw new InvalidMetadataError(this.source, `${name} must be an array of strings`);
    }
    return [...(value as string[])];
  }

  optionalBoolean(name: string): boolean | undefined {
    if (!this.has(name)) return undefined;
    const value = this.document[name];
    if (typeof value !== 'boolean') throw new InvalidMetadataError(this.source, `${name} must be a boolean`);
    return value;
  }

  optionalObject(name: string): JsonObject | undefined {
    if (!this.has(name)) return undefined;
    const value = this.document[name];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidMetadataError(this.source, `${name} must be an object`);
    }
    return value as JsonObject;
  }

  /**
   * A URL field that names an endpoint we or the user's browser will contact. Checked against the fetch policy now,
   * at discovery, so a hostile document fails here rather than when the endpoint is first used. RFC 6749 sections
   * 3.1 and 3.2: endpoint URLs carry no fragment.
   */
  endpoint(policy: FetchPolicy, name: string, value: string): string {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidMetadataError(this.source, `${name} is not a valid URL`);
    }
    if (url.hash !== '' || value.includes('#')) throw new InvalidMetadataError(this.source, `${name} must not have a fragment`);
    try {
      checkUrl(policy, url);
    } catch (error) {
      if (!(error instanceof BlockedUrlError)) throw error;
      throw new BlockedUrlError(url, error.reason, `${error.detail} (${name} in metadata from ${describeUrl(this.source)})`);
    }
    return value;
  }
}
