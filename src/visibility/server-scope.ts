import type { AuditRecorder } from '../audit/index.js';
import type { Config } from '../config/index.js';
import { maySee, type Viewer } from './visible-servers.js';

export type Offering = 'tool' | 'prompt' | 'resource';

/**
 * The servers one view offers, and what it does when asked for something it does not offer. It reads the servers as
 * they are now: servers added, changed or removed at run time (hot reload, the admin API) are seen at once.
 */
export interface ServerScope {
  offers(server: string): boolean;
  /**
   * A name or URI the view does not offer was asked for. The answer is the same as for any unknown name (no hint that
   * the server exists); when the name is one of a server the viewer may not see, the denial is audited.
   */
  notOffered(kind: Offering, requested: string): void;
}

export interface ScopeOptions {
  config: Pick<Config, 'mcpServers'>;
  /** Undefined without a front door: every server is public. */
  viewer: Viewer | undefined;
  audit: AuditRecorder;
  /** The user audit events name (auditUser of the principal). */
  user: string;
}

/** The scope of a view of `viewer`: the servers it may see, and audited refusals of the others' names. */
export function serverScope(options: ScopeOptions): ServerScope {
  const offers = (name: string) => {
    const server = options.config.mcpServers[name];
    return server !== undefined && maySee(server, options.viewer);
  };
  return {
    offers,
    notOffered(kind, requested) {
      const server = Object.keys(options.config.mcpServers).find((name) => !offers(name) && namesOf(name, kind, requested));
      if (server === undefined) return;
      options.audit.record({ user: options.user, action: 'access', resourceType: kind, resourceId: requested, outcome: 'denied', reason: `the server "${server}" is not visible to this user` });
    },
  };
}

/**
 * Whether `requested` reads as a name of `server`: `<server>_<name>` and `authenticate_<server>` for tools and prompts,
 * `<server>+<uri>` for resources. Names are routed by the view's reverse map, never parsed; this only decides whether
 * a refusal is worth an audit event. A server with `prefix: false` has names nothing tells apart.
 */
function namesOf(server: string, kind: Offering, requested: string): boolean {
  if (kind === 'resource') return requested.startsWith(`${server}+`);
  return requested.startsWith(`${server}_`) || requested === `authenticate_${server}`;
}
