import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// Fixed HKDF inputs (RFC 5869 section 3.1: a salt need not be secret; section 3.2: `info` binds the key to its
// purpose). One SWITCHBOARD_SECRET yields an unrelated key per purpose, so a token record can never be passed off as
// a request state, or the other way round.
const PURPOSES = {
  /** Token store records (and the pub/sub messages between replicas, sealed like records). */
  records: { salt: 'switchboard token store salt v1', info: 'switchboard token store aes-256-gcm record key v1' },
  /** The requestState of 2026-07-28 input rounds, which round-trips through the client. */
  'request-state': { salt: 'switchboard request state salt v1', info: 'switchboard mrtr request state aes-256-gcm key v1' },
} as const;

export type SealPurpose = keyof typeof PURPOSES;
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
// 96-bit IVs are what GCM is specified for (NIST SP 800-38D section 8.2); random per record.
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Marks the format so a later key or cipher change can read old records or reject them plainly.
const FORMAT = 'v1.';

/**
 * Authenticated encryption of one record with AES-256-GCM. The owner of the record is bound as additional
 * authenticated data: a ciphertext copied under another owner's key fails to open, just like a tampered one.
 */
export class Sealer {
  private readonly key: Buffer;

  /** The key is derived once here, not per record: a KDF per call would cost on every token read. */
  constructor(secret: string, purpose: SealPurpose = 'records') {
    const { salt, info } = PURPOSES[purpose];
    this.key = Buffer.from(hkdfSync('sha256', secret, salt, info, KEY_BYTES));
  }

  seal(plaintext: string, owner: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(owner, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return FORMAT + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** Undefined when the record is malformed, tampered with, sealed for another owner or under another secret. */
  open(sealed: string, owner: string): string | undefined {
    if (!sealed.startsWith(FORMAT)) return undefined;
    const raw = Buffer.from(sealed.slice(FORMAT.length), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
    const decipher = createDecipheriv(ALGORITHM, this.key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(owner, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      // final() throws when the tag does not verify; that is the "not ours" answer, not a fault.
      return undefined;
    }
  }
}
