import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseWwwAuthenticate, type BearerChallenge } from '../../src/auth/discovery/index.js';
import { fuzzParameters, RUNS } from './runs.js';

// RFC 9110 section 5.6.2: tchar.
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('');
const token = fc.oneof(fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString'));
const randomCase = (word: string) => fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length })
  .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''));
/** RFC 9110 section 5.6.1: optional whitespace. */
const ows = fc.constantFrom('', ' ', '  ', '\t');
/** qdtext and quoted-pair content: printable ASCII, tab, obs-text and beyond (the parser keeps any of them). */
const quotedContent = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', ' ', '\t', ',', '='), fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.integer({ min: 0x80, max: 0x2fff }).map((c) => String.fromCharCode(c))), maxLength: 20 });
const quote = (value: string) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;

// A Map: parameter names are upstream input, and `__proto__` is a token like any other.
const KNOWN = new Map<string, keyof BearerChallenge>([['realm', 'realm'], ['resource_metadata', 'resourceMetadata'], ['scope', 'scope'], ['error', 'error'], ['error_description', 'errorDescription']]);

/** One auth-param: a name (a known Bearer one in any case, or another token) and a value, as a token or quoted. */
const param = fc.record({
  name: fc.oneof(fc.constantFrom(...KNOWN.keys()).chain(randomCase), token),
  value: fc.oneof(token, quotedContent),
  quoted: fc.boolean(),
  before: ows,
  after: ows,
}).map((p) => ({ ...p, quoted: p.quoted || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p.value) }));

interface Param { name: string; value: string; quoted: boolean; before: string; after: string }
interface GeneratedChallenge { scheme: string; params: Param[]; token68: string | null }

/** A well-formed challenge: a scheme with unique parameter names, or with a token68. */
const challenge: fc.Arbitrary<GeneratedChallenge> = fc.record({
  scheme: fc.oneof(randomCase('bearer'), token),
  params: fc.uniqueArray(param, { selector: (p) => p.name.toLowerCase(), maxLength: 6 }),
  token68: fc.option(fc.string({ unit: fc.constantFrom(...'abcXYZ019-._~+/'.split('')), minLength: 1, maxLength: 10 }).chain((t) => fc.constantFrom(t, `${t}=`, `${t}==`))),
});

function render(c: GeneratedChallenge): string {
  if (c.token68 !== null && c.scheme.toLowerCase() !== 'bearer') return `${c.scheme} ${c.token68}`;
  if (c.params.length === 0) return c.scheme;
  return `${c.scheme} ${c.params.map((p) => `${p.name}${p.before}=${p.after}${p.quoted ? quote(p.value) : p.value}`).join(', ')}`;
}

function expected(challenges: GeneratedChallenge[]): BearerChallenge | undefined {
  const bearer = challenges.find((c) => c.scheme.toLowerCase() === 'bearer');
  if (!bearer) return undefined;
  const result: BearerChallenge = {};
  for (const p of bearer.params) {
    const key = KNOWN.get(p.name.toLowerCase());
    if (key) result[key] = p.value;
  }
  return result;
}

describe('WWW-Authenticate parser (fuzz)', () => {
  it(`never throws, on ${RUNS} arbitrary headers`, () => {
    const fragments = fc.constantFrom('Bearer', 'bearer ', 'Basic', ' ', '\t', ',', '=', '"', '\\', 'realm', 'scope=', 'resource_metadata="', 'error=x', 'abc==', '\u0000', '\u007f', 'é');
    const header = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.array(fragments, { maxLength: 20 }).map((parts) => parts.join('')));
    fc.assert(fc.property(header, (h) => {
      const parsed = parseWwwAuthenticate(h);
      assert.ok(parsed === undefined || typeof parsed === 'object');
    }), fuzzParameters());
  });

  it(`reads back the first Bearer challenge of ${RUNS} well-formed headers`, () => {
    const header = fc.array(challenge, { minLength: 1, maxLength: 4 }).chain((cs) => fc.tuple(fc.constant(cs), fc.array(fc.constantFrom(', ', ',', ' ,  ', ',\t'), { minLength: cs.length - 1, maxLength: cs.length - 1 })));
    fc.assert(fc.property(header, ([challenges, separators]) => {
      const text = challenges.map((c, i) => (i === 0 ? '' : separators[i - 1]) + render(c)).join('');
      assert.deepEqual(parseWwwAuthenticate(text), expected(challenges), text);
    }), fuzzParameters());
  });
});
