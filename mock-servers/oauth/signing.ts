import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

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

  /** Signs an RFC 9068 JWT access token (`typ: at+jwt`). */
  async sign(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: this.current.kid }).sign(this.current.privateKey);
  }

  async rotate(): Promise<string> {
    this.keys.push(await newKey());
    return this.current.kid;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}
