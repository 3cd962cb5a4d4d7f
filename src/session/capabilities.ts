import type { ClientCapabilities, Request } from '@modelcontextprotocol/server';

/**
 * The capability an upstream's request (sampling, elicitation, roots) needs that the client did not declare, if any
 * (MCP 2025-11-25 basic/lifecycle#capability-negotiation). Upstream connections are shared and declare everything
 * switchboard relays, so each client's own declaration is checked here, before it is asked.
 */
/**
 * The capabilities an upstream's request needs, as a ClientCapabilities object: the `requiredCapabilities` of a
 * MissingRequiredClientCapabilityError (MCP 2026-07-28 schema, e.g. `{ "sampling": {} }`).
 */
export function requiredCapabilities(request: Request): ClientCapabilities {
  switch (request.method) {
    case 'sampling/createMessage': return { sampling: {} };
    case 'roots/list': return { roots: {} };
    case 'elicitation/create': return (request.params as { mode?: string } | undefined)?.mode === 'url' ? { elicitation: { url: {} } } : { elicitation: {} };
    default: return {};
  }
}

export function missingCapability(request: Request, capabilities: ClientCapabilities): string | undefined {
  switch (request.method) {
    case 'sampling/createMessage': return capabilities.sampling ? undefined : 'sampling';
    case 'roots/list': return capabilities.roots ? undefined : 'roots';
    case 'elicitation/create': {
      const url = (request.params as { mode?: string } | undefined)?.mode === 'url';
      if (url) return capabilities.elicitation?.url ? undefined : 'URL-mode elicitation';
      return capabilities.elicitation ? undefined : 'elicitation';
    }
    default: return undefined;
  }
}
