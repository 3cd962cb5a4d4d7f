/**
 * Redis key layout. The version segment lets a future record format live beside this one instead of misreading it.
 * Each component is percent-encoded, so a colon inside an issuer URL or principal can never shift a key boundary.
 */
const PREFIX = 'switchboard:v1';

const part = encodeURIComponent;

export const redisKeys = {
  /** One hash per principal, a field per issuer: deleting a principal is one DEL, with no SCAN and no index to keep in step. */
  grants: (principal: string) => `${PREFIX}:grants:${part(principal)}`,
  pending: (state: string) => `${PREFIX}:pending:${part(state)}`,
  registration: (issuer: string, redirectUri: string) => `${PREFIX}:registration:${part(issuer)}:${part(redirectUri)}`,
  lock: (key: string) => `${PREFIX}:lock:${part(key)}`,
  /** The era verdict of an upstream server under one credential context (upstream/verdicts.ts verdictKey). */
  eraVerdict: (key: string) => `${PREFIX}:era-verdict:${part(key)}`,
  /** Every grant's hash starts so: SCAN finds the grants at an issuer (rare: a server was removed). */
  allGrants: `${PREFIX}:grants:*`,
  /** The principal key of a grants hash (the inverse of `grants`). */
  principalOfGrants: (key: string) => decodeURIComponent(key.slice(`${PREFIX}:grants:`.length)),
  /** One hash of the servers added through the admin API, a field per server name. */
  servers: `${PREFIX}:servers`,
  /** The pub/sub channel of completed sign-ins. */
  signIns: `${PREFIX}:sign-ins`,
  /** The pub/sub channel of changes of stored servers. */
  serverChanges: `${PREFIX}:server-changes`,
  /** The pub/sub channel of the rounds forwarded to one replica, whose 2026-07-28 calls wait on its connections. */
  heldCalls: (replica: string) => `${PREFIX}:held-calls:${part(replica)}`,
  /** The pub/sub channel of one process's answers to the rounds it forwarded. */
  heldCallAnswers: (process: string) => `${PREFIX}:held-call-answers:${part(process)}`,
  /** One Redis Stream per SSE stream of a session (resumable legacy streams). */
  events: (session: string, stream: string) => `${PREFIX}:events:${part(session)}:${part(stream)}`,
};
