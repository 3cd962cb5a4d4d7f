import type { Logger } from 'pino';
import type { Sealer } from './sealed.js';
import type { ClientRegistration, Grant, HeldRound, HeldRoundAnswer, HeldRoundNotification, PendingSignIn, ServerNotice, SignInNotice, StoredServer } from './types.js';

/** Who a record belongs to. Bound into its ciphertext, so a record only opens where it was written. */
export type RecordOwner =
  | { kind: 'grant'; principal: string; issuer: string }
  | { kind: 'pending'; state: string }
  | { kind: 'registration'; issuer: string; redirectUri: string }
  | { kind: 'server'; name: string }
  | { kind: 'sign-in-notice' }
  | { kind: 'server-notice' }
  /** A message between replicas about a held call, bound to the channel it was published on. */
  | { kind: 'held-call'; channel: string };

/** What goes between replicas about a held call (redis-held-calls.ts), sealed: to the holder (`round`, `cancel`), and back to the forwarder (the rest). */
export type HeldCallMessage =
  | { type: 'round'; id: string; replyTo: string; round: HeldRound }
  | { type: 'cancel'; id: string }
  | { type: 'accepted' | 'alive'; id: string }
  | { type: 'notification'; id: string; notification: HeldRoundNotification }
  | { type: 'answer'; id: string; answer: HeldRoundAnswer };

interface RecordTypes {
  grant: Grant;
  pending: PendingSignIn;
  registration: ClientRegistration;
  /** `origin` names the process that announced it, so it does not act on its own announcement twice. */
  server: StoredServer;
  'sign-in-notice': SignInNotice & { origin: string };
  'server-notice': ServerNotice & { origin: string };
  'held-call': HeldCallMessage;
}

/** The records that are notices to other processes, each on its own pub/sub channel (redis-notices.ts). */
export type NoticeKind = 'sign-in-notice' | 'server-notice';
/** A notice as it is announced: the record without the announcing process. */
export type Notice<K extends NoticeKind> = Omit<RecordTypes[K], 'origin'>;

/** Seals records to JSON ciphertext bound to their owner, and opens them, for both store implementations. */
export class RecordCodec {
  constructor(
    private readonly sealer: Sealer,
    private readonly logger: Logger,
  ) {}

  seal<K extends RecordOwner['kind']>(owner: Extract<RecordOwner, { kind: K }>, record: RecordTypes[K]): string {
    return this.sealer.seal(JSON.stringify(record), associatedData(owner));
  }

  /**
   * Undefined, with a warning, when the record does not open: it was moved to another owner's key, tampered with, or
   * written under another SWITCHBOARD_SECRET. Treating it as absent makes the caller sign in again, which heals it.
   */
  open<K extends RecordOwner['kind']>(owner: Extract<RecordOwner, { kind: K }>, sealed: string): RecordTypes[K] | undefined {
    const json = this.sealer.open(sealed, associatedData(owner));
    if (json === undefined) {
      this.logger.warn({ record: loggable(owner) }, 'token store record did not decrypt (moved, tampered with, or another secret); treated as absent');
      return undefined;
    }
    // Authenticated by GCM, so this is our own JSON; the v1 key prefix guards against a changed shape.
    return JSON.parse(json) as RecordTypes[K];
  }

  /** A notice's owner is its kind alone: every process sharing the secret may announce one. */
  sealNotice<K extends NoticeKind>(kind: K, notice: NoticeRecord<K>): string {
    return this.sealer.seal(JSON.stringify(notice), associatedData({ kind } as RecordOwner));
  }

  openNotice<K extends NoticeKind>(kind: K, sealed: string): NoticeRecord<K> | undefined {
    return this.open({ kind } as Extract<RecordOwner, { kind: K }>, sealed);
  }
}

/** A notice as it travels: the announcing process beside it. */
export type NoticeRecord<K extends NoticeKind> = RecordTypes[K];

/** A JSON array, not a joined string: `a|b` + `c` and `a` + `b|c` must not produce the same bytes. */
function associatedData(owner: RecordOwner): string {
  switch (owner.kind) {
    case 'grant':
      return JSON.stringify(['grant', owner.principal, owner.issuer]);
    case 'pending':
      return JSON.stringify(['pending', owner.state]);
    case 'registration':
      return JSON.stringify(['registration', owner.issuer, owner.redirectUri]);
    case 'server':
      return JSON.stringify(['server', owner.name]);
    case 'sign-in-notice':
      return JSON.stringify(['sign-in-notice']);
    case 'server-notice':
      return JSON.stringify(['server-notice']);
    case 'held-call':
      return JSON.stringify(['held-call', owner.channel]);
  }
}

/** The OAuth `state` is a CSRF secret until the callback arrives, so it never reaches a log. */
function loggable(owner: RecordOwner): Record<string, string> {
  return owner.kind === 'pending' ? { kind: 'pending' } : { ...owner };
}
