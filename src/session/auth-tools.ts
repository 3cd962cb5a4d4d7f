import { randomUUID } from 'node:crypto';
import type { CallToolResult, ReadResourceResult, RequestId, Resource, Tool } from '@modelcontextprotocol/server';
import { NotSignedInError, type AuthRequiredEntry, type SignInState } from '../auth/index.js';
import { publicName } from '../catalog/index.js';
import type { ServerHealth, UpstreamState } from '../upstream/index.js';

export const AUTH_STATUS_URI = 'auth://status';
const SIGN_OUT_TOOL = 'switchboard_sign_out';

/** A SEP-1036 URL-mode elicitation: the client opens the URL itself, so tokens never pass through it. */
export interface UrlElicitation {
  message: string;
  url: string;
  elicitationId: string;
}

export interface AuthToolsHost {
  /** Asks the client to open a URL; false when it cannot be asked (it declared no URL-mode elicitation). */
  elicitUrl(elicitation: UrlElicitation, relatedRequestId: RequestId | undefined): boolean;
  servers(): string[];
  maxNameLength: number;
  state(server: string): UpstreamState | undefined;
  stateDetail(server: string): string | undefined;
  /** The server's own health (its shared connection), whatever this principal's state with it. */
  health(server: string): ServerHealth | undefined;
  /** Connects servers again (a sign-in made them ready) and waits for the attempts. */
  reconnect(servers: readonly string[]): Promise<void>;
  /** Servers the person signed out of: their connections wait for a sign-in. */
  signedOut(servers: readonly string[]): void;
}

type ToolHandler = (args: Record<string, unknown>, requestId: RequestId | undefined) => Promise<CallToolResult>;

/**
 * switchboard's own tools and resource for upstream sign-in: `authenticate_<server>` for each server that needs one,
 * `switchboard_sign_out`, the `_meta` auth field and the `auth://status` resource. All of it is this session's view.
 */
export class AuthTools {
  /** `_meta` key (MCP 2025-11-25 basic#meta: a `prefix/name` key whose prefix is not reserved). */
  static readonly META_KEY = 'switchboard/auth_required';

  readonly statusResource: Resource = {
    uri: AUTH_STATUS_URI,
    name: 'auth-status',
    title: 'Sign-in status of the upstream servers',
    description: 'JSON: for each upstream server its status (connected, auth_required, reauth_required, connecting, unreachable, failed), issuer, scope and sign-in tool.',
    mimeType: 'application/json',
  };

  /** authenticate_<server> name -> server, for every server of the session (the set is fixed once upstreams start). */
  private authenticateNames: Map<string, string> | undefined;

  constructor(private readonly auth: SignInState, private readonly host: AuthToolsHost) {}

  /** The configured servers changed: the authenticate tool names are worked out again. */
  serversChanged(): void {
    this.authenticateNames = undefined;
  }

  toolName(server: string): string {
    return publicName('authenticate', server, true, this.host.maxNameLength);
  }

  private serverOfAuthenticateTool(name: string): string | undefined {
    if (!this.authenticateNames?.size) this.authenticateNames = new Map(this.host.servers().map((s) => [this.toolName(s), s]));
    return this.authenticateNames.get(name);
  }

  /** The tools to list now: one authenticate tool per server needing a sign-in, and sign-out once any server has signed in. */
  tools(): Tool[] {
    const tools: Tool[] = [];
    const withIssuer: string[] = [];
    for (const server of this.host.servers()) {
      const { issuer, problem } = this.auth.describe(server);
      if (issuer) withIssuer.push(server);
      const need = this.auth.need(server);
      if (!need) continue;
      tools.push({
        name: this.toolName(server),
        title: `Sign in to ${server}`,
        description: `The server "${server}" needs a sign-in${issuer ? ` at ${issuer}` : ''}${need === 'reauth_required' ? ' again (the previous sign-in expired or was revoked)' : ''}. `
          + 'Call this tool to get a sign-in URL for the user to open; the server\'s tools appear once the sign-in completes. '
          + 'Other servers behind the same authorization server connect with the same sign-in.'
          // Why no sign-in happened without the user (cross-app access, discovery): secret-free by construction.
          + (problem ? ` Why a sign-in is needed: ${problem}` : ''),
        inputSchema: { type: 'object', properties: {} },
        annotations: { readOnlyHint: false, openWorldHint: true },
      });
    }
    if (withIssuer.length) {
      tools.push({
        name: SIGN_OUT_TOOL,
        title: 'Sign out of an upstream server',
        description: 'Deletes this session\'s sign-in for a server. With everywhere=true, signs out of its whole authorization server (all servers behind it).',
        inputSchema: {
          type: 'object',
          properties: {
            server: { type: 'string', enum: withIssuer, description: 'The server to sign out of' },
            everywhere: { type: 'boolean', description: 'Also sign out of every other server behind the same authorization server' },
          },
          required: ['server'],
        },
        annotations: { destructiveHint: true, openWorldHint: false },
      });
    }
    return tools;
  }

  /**
   * The handler when `name` is one of these tools. authenticate_<server> answers for every server, listed or not:
   * after single sign-on it says at once that the server is connected.
   */
  handles(name: string): ToolHandler | undefined {
    if (name === SIGN_OUT_TOOL && this.tools().some((t) => t.name === SIGN_OUT_TOOL)) return (args) => this.signOut(args);
    const server = this.serverOfAuthenticateTool(name);
    return server ? (_args, requestId) => this.authenticate(server, requestId) : undefined;
  }

  authRequired(): AuthRequiredEntry[] {
    return this.auth.authRequired(this.host.servers(), (server) => this.toolName(server));
  }

  signInNeededMessage(server: string): string {
    return `The server "${server}" needs a sign-in: call the tool ${this.toolName(server)} to get a sign-in URL.`;
  }

  readStatus(): ReadResourceResult {
    const servers = this.host.servers().map((name) => {
      const need = this.auth.need(name);
      const status = need ?? this.host.state(name) ?? 'connecting';
      const { issuer, scope, expiresAt, problem } = this.auth.describe(name);
      const needsSignIn = need !== undefined;
      const health = this.host.health(name);
      return {
        name,
        status,
        ...(issuer ? { issuer } : {}),
        ...(scope ? { scope } : {}),
        ...(needsSignIn ? { auth_tool: this.toolName(name) } : {}),
        ...(expiresAt ? { expiresAt } : {}),
        ...(problem && needsSignIn ? { problem } : {}),
        ...(health ? { health: { healthy: health.healthy, state: health.state, lastError: health.lastError, lastCheckedAt: health.lastCheckedAt, latencyMs: health.latencyMs } } : {}),
      };
    });
    return { contents: [{ uri: AUTH_STATUS_URI, mimeType: 'application/json', text: JSON.stringify({ servers }) }] };
  }

  private async authenticate(server: string, requestId: RequestId | undefined): Promise<CallToolResult> {
    if (this.host.state(server) === 'connected') return connected(server);
    let started: Awaited<ReturnType<SignInState['begin']>>;
    try {
      started = await this.auth.begin(server);
      // A sign-in stored already (on another replica) lets servers connect; if this one still refuses, sign in anew.
      if (started.status === 'signed_in') {
        await this.host.reconnect(started.connect);
        if (this.auth.need(server)) started = await this.auth.begin(server);
      }
    } catch (error) {
      return {
        content: [{ type: 'text', text: `Cannot start the sign-in for "${server}": ${error instanceof Error ? error.message : String(error)}` }],
        structuredContent: { server, status: this.host.state(server) ?? 'failed' },
        isError: true,
      };
    }
    if (started.status === 'signed_in') {
      const status = this.host.state(server) ?? 'connecting';
      if (status === 'connected') return connected(server);
      return { content: [{ type: 'text', text: `"${server}" needs no new sign-in; it is ${status}.` }], structuredContent: { server, status } };
    }
    const { authorizationUrl, issuer } = started;
    // SEP-1036 URL-mode elicitation: a client that supports it opens the URL itself; the tokens never pass through it.
    const elicitationId = randomUUID();
    const message = `Sign in to ${server} (${issuer}) so switchboard can use its tools.`;
    if (this.host.elicitUrl({ message, url: authorizationUrl, elicitationId }, requestId)) this.auth.trackElicitation(server, started.state, elicitationId);
    return {
      content: [{
        type: 'text',
        text: `Sign-in needed for "${server}" at ${issuer}. Ask the user to open this URL in a browser and sign in:\n${authorizationUrl}\n`
          + `When the sign-in completes, the tools of "${server}" (and of other servers behind ${issuer}) appear and the tool list changes.`,
      }],
      structuredContent: { server, status: 'auth_required', authorizationUrl, issuer },
    };
  }

  private async signOut(args: Record<string, unknown>): Promise<CallToolResult> {
    const server = typeof args.server === 'string' ? args.server : '';
    try {
      // The principal's sign-in state may know servers another of its views offers (other teams): not this one's.
      const offered = this.host.servers();
      if (!offered.includes(server)) throw new NotSignedInError(server);
      const affected = (await this.auth.signOut(server, args.everywhere === true)).filter((name) => offered.includes(name));
      this.host.signedOut(affected);
      return { content: [{ type: 'text', text: `Signed out of ${affected.map((s) => `"${s}"`).join(', ')}.` }], structuredContent: { signedOut: affected } };
    } catch (error) {
      return { content: [{ type: 'text', text: error instanceof Error ? error.message : String(error) }], isError: true };
    }
  }
}

function connected(server: string): CallToolResult {
  return { content: [{ type: 'text', text: `"${server}" is connected; no sign-in is needed.` }], structuredContent: { server, status: 'connected' } };
}
