import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

interface SigningKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  return { privateKey, kid, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/**
 * ES256 key pairs for access tokens; the public halves are served at jwks_uri. `rotate()` signs with a new key from
 * then on and publishes it next to the old ones (tokens signed before stay verifiable), as an IdP rotating its keys.
 */
export class TokenSigner {
  private constructor(private readonly keys: SigningKey[]) {}

  static async create(): Promise<TokenSigner> {
    return new TokenSigner([await newKey()]);
  }

  get kid(): string {
    return this.current.kid;
  }

  private get current(): SigningKey {
    return this.keys[this.keys.length - 1]!;
  }

  /** Signs an RFC 9068 JWT access token (`typ: at+jwt`), or another JWT of this server (an ID-JAG: `oauth-id-jag+jwt`). */
  async sign(claims: Record<string, unknown>, typ = 'at+jwt'): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ, kid: this.current.kid }).sign(this.current.privateKey);
  }

  /** Verifies a JWT this server signed (any of its keys); throws when it did not, or when it expired at `now`. */
  async verify(token: string, now: number): Promise<{ payload: JWTPayload; typ: string | undefined }> {
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(this.jwks()), { currentDate: new Date(now * 1000), algorithms: ['ES256'] });
    return { payload, typ: protectedHeader.typ };
  }

  async rotate(): Promise<string> {
    this.keys.push(await newKey());
    return this.current.kid;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}
