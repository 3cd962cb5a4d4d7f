import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Secrets in the configuration: a string (usually `${ENV}`, interpolated by the loader) or `{ file: path }`, read once
 * at load, a path relative to the configuration file's directory (Docker and Kubernetes mount secrets as files).
 * Never from the command line, where every user of the machine can read them in the process list.
 */
export type SecretFileReader = (path: string) => string;

/**
 * Where `{ file }` secrets may come from: the configuration file's directory, or nowhere (`undefined`: server entries
 * from the admin API, whose callers must not make switchboard read its own files and send them to a server of theirs).
 */
export type SecretFiles = SecretFileReader | undefined;

export function secretFileReader(baseDir: string): SecretFileReader {
  // One trailing newline (what `echo` and most editors add) is not part of the secret.
  return (path) => readFileSync(isAbsolute(path) ? path : resolve(baseDir, path), 'utf8').replace(/\r?\n$/, '');
}

export function secretSchema(read: SecretFiles) {
  return z.union([z.string().min(1), z.strictObject({ file: z.string().min(1) })], { error: 'expected a secret: a string (e.g. "${NAME}") or { file: path }' })
    .transform((value, ctx) => {
      if (typeof value === 'string') return value;
      const text = readSecret(read, value.file, ctx);
      if (text === '') ctx.addIssue({ code: 'custom', message: `the secret file ${value.file} is empty` });
      return text ?? z.NEVER;
    });
}

function readSecret(read: SecretFiles, path: string, ctx: z.RefinementCtx): string | undefined {
  if (!read) {
    ctx.addIssue({ code: 'custom', message: `secret files ({ file: ${path} }) come from the configuration file only` });
    return undefined;
  }
  try {
    return read(path);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `cannot read the secret file ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})` });
    return undefined;
  }
}

/** JWS algorithms of RFC 7518 §3.1 (and RFC 8037 EdDSA) that a private key can sign RFC 7523 client assertions with. */
export const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * A private key for `private_key_jwt`, checked at load and kept as PKCS#8 PEM (what jose imports). It is a valid
 * `privateKeyJwt` itself (`{ pem, alg, kid? }`), so a parsed entry parses again to the same (the admin API stores and
 * re-checks parsed entries).
 */
export interface ClientAssertionKey {
  pem: string;
  alg: SigningAlgorithm;
  kid?: string;
}

/**
 * `privateKeyJwt: { keyFile | pem | jwk, alg? }`: a PEM file, a PEM as a secret (PKCS#8, SEC1 or PKCS#1), or a private
 * JWK (an object, or its JSON as a secret). `alg` defaults to the one the key implies (ES256 for P-256, RS256 for RSA,
 * EdDSA for Ed25519).
 */
export function privateKeyJwtSchema(read: SecretFiles) {
  const secret = secretSchema(read);
  return z.strictObject({
    keyFile: z.string().min(1).optional(),
    pem: secret.optional(),
    jwk: z.union([z.looseObject({ kty: z.string() }), secret]).optional(),
    alg: z.enum(SIGNING_ALGORITHMS).optional(),
    kid: z.string().min(1).optional(),
  }).transform((value, ctx): ClientAssertionKey => {
    if ([value.keyFile, value.pem, value.jwk].filter((given) => given !== undefined).length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of keyFile (a PEM file), pem (a PEM private key) and jwk (a private JWK)' });
      return z.NEVER;
    }
    let key: KeyObject;
    let jwkKid: string | undefined;
    let jwkAlg: string | undefined;
    try {
      if (value.keyFile !== undefined) {
        const pem = readSecret(read, value.keyFile, ctx);
        if (pem === undefined) return z.NEVER;
        key = createPrivateKey(pem);
      } else if (value.pem !== undefined) {
        key = createPrivateKey(value.pem);
      } else {
        const jwk = (typeof value.jwk === 'string' ? JSON.parse(value.jwk) : value.jwk) as JsonWebKey & { kid?: string; alg?: string };
        jwkKid = jwk.kid;
        jwkAlg = jwk.alg;
        key = createPrivateKey({ key: jwk, format: 'jwk' });
      }
    } catch {
      // The key material itself never goes into the message.
      ctx.addIssue({ code: 'custom', message: `not a usable private key (${value.keyFile !== undefined ? `the file ${value.keyFile}` : value.pem !== undefined ? 'pem' : 'jwk'}: expected a PEM private key or a private JWK)` });
      return z.NEVER;
    }
    const implied = impliedAlgorithms(key);
    const alg = value.alg ?? (SIGNING_ALGORITHMS as readonly string[]).find((a) => a === jwkAlg) as SigningAlgorithm | undefined ?? implied[0];
    if (!alg || !implied.includes(alg)) {
      ctx.addIssue({ code: 'custom', path: ['alg'], message: `a ${describeKey(key)} key cannot sign with ${alg ?? 'any supported algorithm'}${implied.length ? ` (use ${implied.join(', ')})` : ''}` });
      return z.NEVER;
    }
    const kid = value.kid ?? jwkKid;
    return { pem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), alg, ...(kid ? { kid } : {}) };
  });
}

function impliedAlgorithms(key: KeyObject): SigningAlgorithm[] {
  switch (key.asymmetricKeyType) {
    case 'rsa': return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss': return ['PS256', 'PS384', 'PS512'];
    case 'ed25519': return ['EdDSA'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === 'prime256v1' ? ['ES256'] : curve === 'secp384r1' ? ['ES384'] : curve === 'secp521r1' ? ['ES512'] : [];
    }
    default: return [];
  }
}

function describeKey(key: KeyObject): string {
  return key.asymmetricKeyType === 'ec' ? `EC ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim() : key.asymmetricKeyType ?? 'unknown';
}
