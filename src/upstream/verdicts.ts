import { createHash } from 'node:crypto';
import type { DiscoverResult, PriorDiscovery } from '@modelcontextprotocol/client';
import { isRemote, type ServerConfig } from '../config/index.js';

/**
 * Where the era verdict of each upstream is kept between connections: the SDK's `server/discover`
 * advertisement for a 2026-07-28 server, or "legacy" for one that only answers `initialize`
 * (SDK v2 docs/advanced/gateway.md). A connection probes once; every later connection to the same
 * server under the same credentials connects with the verdict and no round trip.
 *
 * Small on purpose, so that a store shared by replicas (Redis) can implement it in a few lines.
 * An implementation may forget entries at any time (a TTL): a missing verdict only costs a probe.
 */
export interface EraVerdictCache {
  get(key: string): Promise<PriorDiscovery | undefined>;
  set(key: string, verdict: PriorDiscovery): Promise<void>;
  /** The verdict proved stale (the server changed era); the next connection probes again. */
  delete(key: string): Promise<void>;
}

/**
 * A stale 2026 verdict fails loudly at the first request, but a stale legacy one succeeds silently
 * forever: an upgraded server still answers `initialize` (gateway.md, "Skip the probe"). Legacy
 * verdicts therefore expire; modern ones are kept until they fail.
 */
export const LEGACY_VERDICT_HORIZON_MS = 60 * 60 * 1000;

/** The verdicts of this process; the default when no shared cache is configured. */
export class MemoryEraVerdicts implements EraVerdictCache {
  private readonly entries = new Map<string, { verdict: PriorDiscovery; storedAt: number }>();

  constructor(private readonly legacyHorizonMs = LEGACY_VERDICT_HORIZON_MS, private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<PriorDiscovery | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.verdict.kind === 'legacy' && this.now() - entry.storedAt >= this.legacyHorizonMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.verdict;
  }

  async set(key: string, verdict: PriorDiscovery): Promise<void> {
    this.entries.set(key, { verdict, storedAt: this.now() });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/**
 * The process-wide cache connections use unless they are given one: sessions of one process share
 * the verdict of a server, which is the point of caching it.
 */
export const processEraVerdicts: EraVerdictCache = new MemoryEraVerdicts();

/**
 * The key of a server's verdict: where it is (URL, or command line for stdio) and the credential
 * context that obtained it. SDK v2 gateway.md: "Never share a persisted DiscoverResult across
 * principals"; the advertisement is what the server returned to the credential that probed. The
 * credential enters as a hash, never as itself: keys may be logged or stored.
 */
export function verdictKey(config: ServerConfig, credentialContext: string | undefined): string {
  const where = isRemote(config) ? config.url : JSON.stringify([config.command, ...(config.args ?? [])]);
  const who = credentialContext === undefined ? 'anonymous' : createHash('sha256').update(credentialContext).digest('base64url').slice(0, 22);
  return `${where}#${who}`;
}

export function modernVerdict(discover: DiscoverResult): PriorDiscovery {
  return { kind: 'modern', discover };
}
