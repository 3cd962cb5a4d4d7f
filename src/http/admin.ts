import express, { type NextFunction, type Request, type Response } from 'express';
import { NO_AUDIT, type AuditRecorder } from '../audit/index.js';
import { ConfigError, isRemote, keepMaskedSecrets, maskSecrets, parseServerEntry, type ServerConfig, type ServerSet } from '../config/index.js';
import { callerOf, type FrontDoor } from '../front-door/index.js';
import type { Logger } from '../log/index.js';
import type { RuntimeServers } from '../runtime-servers/index.js';
import { StoreUnavailableError } from '../store/index.js';

/** A server entry is a few hundred bytes; anything this large is not one. */
const BODY_LIMIT = '64kb';

/** The scope each action needs in the front door's token (issue 8, runtime server management). */
const SCOPES = { read: 'servers.read', create: 'servers.create', update: 'servers.update', delete: 'servers.delete' } as const;
type Action = keyof typeof SCOPES;

export interface AdminOptions {
  /** What is served now (read). */
  servers: ServerSet;
  /** Where the API's changes go: the store, this process, the other replicas. */
  runtime: RuntimeServers;
  /** When set, every request needs its bearer token with the action's scope. */
  frontDoor?: FrontDoor;
  /** Without a front door the API answers only on a loopback bind: whoever reaches it is the local user. */
  loopback: boolean;
  logger: Logger;
  /** Server changes and refusals for want of a scope are recorded here. */
  audit?: AuditRecorder;
}

/** Without a front door whoever reaches the loopback-only API is the person at this machine. */
const LOCAL_USER = 'local';

function refuse(res: Response, status: number, error: string, description: string): void {
  res.status(status).json({ error, error_description: description });
}

/**
 * The runtime server API under /admin/servers: list, get, create, update, delete. Bodies are checked by the config
 * file's own schema, so errors name the key as they would at start-up; secrets are never returned (MASK), and an
 * update that sends a MASK back keeps the secret. The API manages the servers it created; those of the configuration
 * file change in the file (hot reload). It creates remote servers only: a server that runs a command runs it on this
 * machine, and that is for whoever writes the configuration file to decide.
 */
export function adminRoutes(options: AdminOptions): express.Router {
  const { servers, logger } = options;
  const audit = options.audit ?? NO_AUDIT;
  const router = express.Router();
  const json = express.json({ limit: BODY_LIMIT, type: () => true });

  const allowed = (action: Action) => {
    const scope = SCOPES[action];
    const gate = options.frontDoor?.gate([]);
    return (req: Request, res: Response, next: NextFunction) => {
      if (!gate) {
        if (options.loopback) return next();
        return refuse(res, 403, 'forbidden', 'the admin API needs the front door (inboundAuth) when switchboard listens beyond loopback');
      }
      void gate(req, res, () => {
        const caller = callerOf(res);
        if (caller?.token.scopes.includes(scope)) return next();
        logger.info({ user: caller?.token.subject, action, scope }, 'admin API: permission denied');
        audit.record({
          user: caller?.token.subject ?? 'anonymous', action: `server.${action}`, resourceType: 'server', resourceId: req.params.name === undefined ? '*' : String(req.params.name),
          outcome: 'denied', reason: `the token lacks the scope ${scope}`,
        });
        res.set('www-authenticate', `Bearer realm="switchboard", error="insufficient_scope", scope="${scope}"`);
        refuse(res, 403, 'insufficient_scope', `this action needs the scope ${scope}`);
      });
    };
  };

  const body = (req: Request, res: Response, next: NextFunction) => {
    if (!req.is('application/json')) return refuse(res, 415, 'unsupported_media_type', 'send the server as application/json');
    json(req, res, next);
  };

  const shown = (name: string) => ({ name, source: servers.isRuntime(name) ? 'api' : 'file', ...maskSecrets(servers.get(name)!) });

  /** Runs the change; a store that cannot take it refuses it with 503, and nothing changed. */
  const changed = async (res: Response, action: Exclude<Action, 'read'>, name: string, change: () => Promise<void>): Promise<boolean> => {
    const user = callerOf(res)?.token.subject;
    try {
      await change();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      logger.warn({ user, action, server: name, error: error.message }, 'admin API: the store cannot keep the change; nothing changed');
      audit.record({ user: user ?? LOCAL_USER, action: `server.${action}`, resourceType: 'server', resourceId: name, outcome: 'failure', reason: 'the store is unavailable' });
      refuse(res, 503, 'store_unavailable', 'the store that keeps the servers is unavailable; nothing changed, try again');
      return false;
    }
    logger.info({ user, action, server: name }, 'admin API: server changed');
    audit.record({ user: user ?? LOCAL_USER, action: `server.${action}`, resourceType: 'server', resourceId: name, outcome: 'success' });
    return true;
  };
  const put = (res: Response, action: 'create' | 'update', name: string, server: ServerConfig, entry: Record<string, unknown>) =>
    changed(res, action, name, () => options.runtime.put(name, server, entry));

  router.get('/admin/servers', allowed('read'), (_req, res) => {
    res.json({ servers: servers.names().map(shown) });
  });

  router.get('/admin/servers/:name', allowed('read'), (req, res) => {
    const name = String(req.params.name);
    if (!servers.get(name)) return refuse(res, 404, 'not_found', `no server "${name}"`);
    res.json(shown(name));
  });

  router.post('/admin/servers', allowed('create'), body, async (req, res) => {
    const { name, ...entry } = (req.body ?? {}) as Record<string, unknown>;
    const parsed = checked(res, name, entry);
    if (!parsed) return;
    if (servers.get(parsed.name)) return refuse(res, 409, 'conflict', `a server "${parsed.name}" exists already`);
    if (await put(res, 'create', parsed.name, parsed.server, entry)) res.status(201).json(shown(parsed.name));
  });

  router.put('/admin/servers/:name', allowed('update'), body, async (req, res) => {
    const name = String(req.params.name);
    const previous = servers.get(name);
    if (!previous) return refuse(res, 404, 'not_found', `no server "${name}"`);
    if (!servers.isRuntime(name)) return refuse(res, 409, 'conflict', `the server "${name}" comes from the configuration file; change it there`);
    const { name: renamed, ...entry } = (req.body ?? {}) as Record<string, unknown>;
    if (renamed !== undefined && renamed !== name) return refuse(res, 400, 'invalid_request', 'name: a server cannot be renamed; create another one');
    const kept = keepMaskedSecrets(entry, previous) as Record<string, unknown>;
    const parsed = checked(res, name, kept);
    if (!parsed) return;
    if (await put(res, 'update', name, parsed.server, kept)) res.json(shown(name));
  });

  router.delete('/admin/servers/:name', allowed('delete'), async (req, res) => {
    const name = String(req.params.name);
    if (!servers.get(name)) return refuse(res, 404, 'not_found', `no server "${name}"`);
    if (!servers.isRuntime(name)) return refuse(res, 409, 'conflict', `the server "${name}" comes from the configuration file; change it there`);
    if (await changed(res, 'delete', name, () => options.runtime.delete(name))) res.status(204).end();
  });

  // A body that is not JSON, or too large: the same JSON errors as everything else here.
  router.use('/admin', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const type = (error as { type?: string } | undefined)?.type;
    if (type === 'entity.too.large') return refuse(res, 413, 'too_large', `the body is larger than ${BODY_LIMIT}`);
    if (type === 'entity.parse.failed') return refuse(res, 400, 'invalid_json', 'the body is not valid JSON');
    next(error);
  });
  return router;
}

/** The entry checked by the config schema, or a 400 naming what is wrong; a server that runs a command is refused. */
function checked(res: Response, name: unknown, entry: unknown): ReturnType<typeof parseServerEntry> | undefined {
  let parsed: ReturnType<typeof parseServerEntry>;
  try {
    parsed = parseServerEntry(name, entry, 'admin API');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    refuse(res, 400, 'invalid_server', error.message);
    return undefined;
  }
  if (!isRemote(parsed.server)) {
    refuse(res, 400, 'invalid_server', 'the admin API adds remote servers (url); a server that runs a command comes from the configuration file');
    return undefined;
  }
  return parsed;
}
