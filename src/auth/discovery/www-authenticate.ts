/**
 * WWW-Authenticate parsing (RFC 9110 section 11.6.1, RFC 6750 section 3). The header is upstream input: the parser
 * is linear, never throws, and returns undefined rather than guessing when the Bearer challenge is malformed.
 *
 *   WWW-Authenticate = #challenge
 *   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param       = token BWS "=" BWS ( token / quoted-string )
 *
 * Commas separate both challenges and parameters; a comma followed by `token =` continues the current challenge,
 * a comma followed by a token that is not followed by `=` starts the next one.
 */

export interface BearerChallenge {
  realm?: string;
  /** RFC 9728 section 5.1: where the protected resource metadata lives. */
  resourceMetadata?: string;
  /** RFC 6750 section 3: space-delimited scopes the resource requires. */
  scope?: string;
  error?: string;
  errorDescription?: string;
}

interface Challenge {
  scheme: string;
  params: Map<string, string>;
  malformed: boolean;
}

/** The first well-formed Bearer challenge in `header`, or undefined when there is none. */
export function parseWwwAuthenticate(header: string | null | undefined): BearerChallenge | undefined {
  if (typeof header !== 'string' || header.length === 0) return undefined;
  // RFC 9110 section 11.1: auth schemes are case-insensitive.
  const bearer = parseChallenges(header).find((c) => c.scheme === 'bearer' && !c.malformed);
  if (!bearer) return undefined;
  const challenge: BearerChallenge = {};
  const set = (key: keyof BearerChallenge, param: string) => {
    const value = bearer.params.get(param);
    if (value !== undefined) challenge[key] = value;
  };
  set('realm', 'realm');
  set('resourceMetadata', 'resource_metadata');
  set('scope', 'scope');
  set('error', 'error');
  set('errorDescription', 'error_description');
  return challenge;
}

// RFC 9110 section 5.6.2: tchar.
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
// RFC 9110 section 11.2: token68.
const TOKEN68_CHAR = /[-._~+/0-9A-Za-z]/;

function parseChallenges(h: string): Challenge[] {
  const challenges: Challenge[] = [];
  const n = h.length;
  let i = 0;

  const isWs = (c: string | undefined) => c === ' ' || c === '\t';
  const skipWs = (p: number) => {
    while (p < n && isWs(h[p])) p++;
    return p;
  };
  const skipWsAndCommas = (p: number) => {
    while (p < n && (isWs(h[p]) || h[p] === ',')) p++;
    return p;
  };
  const tokenEnd = (p: number) => {
    while (p < n && TCHAR.test(h[p] as string)) p++;
    return p;
  };
  /** Index after the next comma outside a quoted string (resynchronizes after junk). */
  const skipPastComma = (p: number) => {
    let quoted = false;
    for (; p < n; p++) {
      const c = h[p];
      if (quoted && c === '\\') p++;
      else if (c === '"') quoted = !quoted;
      else if (!quoted && c === ',') return p + 1;
    }
    return n;
  };
  /** RFC 9110 section 5.6.4: quoted-string with quoted-pair. Returns undefined when unterminated or invalid. */
  const readQuoted = (p: number): { value: string; end: number } | undefined => {
    let value = '';
    for (let q = p + 1; q < n; q++) {
      const c = h[q] as string;
      const code = c.charCodeAt(0);
      if (c === '"') return { value, end: q + 1 };
      if (c === '\\') {
        q++;
        if (q >= n) return undefined;
        value += h[q];
        continue;
      }
      // qdtext: HTAB, SP, VCHAR except DQUOTE and backslash, obs-text. Other controls are invalid.
      if ((code < 0x20 && c !== '\t') || code === 0x7f) return undefined;
      value += c;
    }
    return undefined;
  };

  while (i < n) {
    i = skipWsAndCommas(i);
    if (i >= n) break;
    const schemeEnd = tokenEnd(i);
    if (schemeEnd === i) {
      i = skipPastComma(i); // junk where a scheme should be
      continue;
    }
    const challenge: Challenge = { scheme: h.slice(i, schemeEnd).toLowerCase(), params: new Map(), malformed: false };
    challenges.push(challenge);
    i = schemeEnd;
    const afterSpace = skipWs(i);
    if (afterSpace >= n || h[afterSpace] === ',') {
      i = afterSpace;
      continue; // scheme without parameters
    }
    if (afterSpace === i) {
      // Something glued to the scheme ("Bearer\"x\""): not a challenge we can read.
      challenge.malformed = true;
      i = skipPastComma(i);
      continue;
    }
    i = afterSpace;

    // token68: ends at the end of the header or at a comma.
    let t = i;
    while (t < n && TOKEN68_CHAR.test(h[t] as string)) t++;
    if (t > i) {
      let e = t;
      while (e < n && h[e] === '=') e++;
      const after = skipWs(e);
      if (after >= n || h[after] === ',') {
        // "abc", "abc==": a token68 credential hint, which Bearer does not use. ("x=" cannot be a parameter: a
        // parameter needs a value.)
        i = after;
        continue;
      }
    }

    // #auth-param
    let first = true;
    while (i < n) {
      const nameStart = i;
      const nameEnd = tokenEnd(i);
      if (nameEnd === nameStart) {
        challenge.malformed = true;
        i = skipPastComma(i);
        i = skipWsAndCommas(i);
        first = false;
        continue;
      }
      let p = skipWs(nameEnd);
      if (h[p] !== '=') {
        if (first) {
          challenge.malformed = true; // "Bearer foo bar"
          i = skipPastComma(nameEnd);
          i = skipWsAndCommas(i);
          first = false;
          continue;
        }
        i = nameStart; // the next challenge's scheme
        break;
      }
      first = false;
      p = skipWs(p + 1);
      let value: string | undefined;
      if (h[p] === '"') {
        const quoted = readQuoted(p);
        if (quoted) {
          value = quoted.value;
          p = quoted.end;
        }
      } else {
        const valueEnd = tokenEnd(p);
        if (valueEnd > p) {
          value = h.slice(p, valueEnd);
          p = valueEnd;
        }
      }
      const name = h.slice(nameStart, nameEnd).toLowerCase(); // RFC 9110 section 11.2: names are case-insensitive
      if (value === undefined) {
        challenge.malformed = true;
        i = skipWsAndCommas(skipPastComma(p));
        continue;
      }
      // RFC 6750 section 3: each attribute MUST NOT appear more than once; a repeat is ambiguous, so refuse it.
      if (challenge.params.has(name)) challenge.malformed = true;
      else challenge.params.set(name, value);
      p = skipWs(p);
      if (p < n && h[p] !== ',') {
        challenge.malformed = true; // junk after a value
        p = skipPastComma(p);
      }
      i = skipWsAndCommas(p);
    }
  }
  return challenges;
}
