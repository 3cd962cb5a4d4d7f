import { randomBytes } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  MissingRequiredClientCapabilityError,
  type ClientCapabilities,
  type InputRequest,
  type Notification,
  type Request,
  type RequestId,
  type Server,
  type ServerContext,
  type ServerNotifier,
} from '@modelcontextprotocol/server';
import { Sealer } from '../store/index.js';
import { RELAYABLE_CAPABILITIES } from '../upstream/index.js';
import type { UrlElicitation } from './auth-tools.js';
import { CallEndedError, UnanswerableRequestError } from './errors.js';
import { Exchange, ROUND_WAIT_MS } from './exchange.js';
import { missingCapability, requiredCapabilities } from './capabilities.js';
import { createServerFace, type RequestRunner } from './handlers.js';
import { principalKey } from '../principal/index.js';
import type { DownstreamFace, PrincipalView, RelayContext } from './view.js';


/** Until a face is told where listen streams are, there are none to tell. */
const NO_LISTENERS: ServerNotifier = { toolsChanged() {}, promptsChanged() {}, resourcesChanged() {}, resourceUpdated() {} };

interface SealedState {
  exchange: string;
  expiresAt: number;
}

/**
 * The modern (2026-07-28) face of one principal's view: no session and no push channel. List changes and resource
 * updates are published to `subscriptions/listen` streams; what an upstream asks during a call (sampling, elicitation,
 * roots) becomes an input-required result that the client answers by retrying (basic/patterns/mrtr).
 */
export class ModernFace implements DownstreamFace, RequestRunner {
  /**
   * What the upstreams of a modern view are told the client can do. Each 2026-07-28 request declares its own
   * capabilities, so the connections (shared by the principal's requests) declare everything switchboard relays, and
   * a request the current client cannot answer is refused when it comes (see forwardRequest).
   */
  readonly clientCapabilities = RELAYABLE_CAPABILITIES;
  private readonly exchanges = new Map<string, Exchange>();
  /** requestState is sealed here and read back only by this process, which holds the exchanges it names. */
  private readonly sealer = new Sealer(randomBytes(32).toString('base64url'));
  private readonly owner: string;
  private readonly watched = new Map<string, number>();
  /**
   * Calls answered without the SDK's server (src/http/modern-fast-path.ts), by relay key: their clients' capabilities,
   * and what an upstream asked during the call that the client could not answer.
   */
  private readonly directCalls = new Map<string, { capabilities: ClientCapabilities; refused?: ClientCapabilities }>();
  private nextDirectCall = 0;

  constructor(private readonly view: PrincipalView, private notifier: ServerNotifier = NO_LISTENERS) {
    this.owner = `mrtr request state\u0000${view.principal ? principalKey(view.principal) : 'nobody'}`;
    view.attach(this);
  }

  /** A server instance for one request (HTTP) or one connection (stdio), over this principal's view. */
  createServer(): Server {
    this.view.start();
    return createServerFace(this.view, this, {
      // MRTR server requirements 4-5: state that round-trips through the client is integrity-protected and checked
      // before the handler runs; a forged, foreign or expired state is refused with -32602.
      requestState: { verify: (state) => this.openState(state) },
    });
  }

  /** Where list changes go: the HTTP handler's listen streams, or the stdio connection's pinned instance. */
  publishTo(notifier: ServerNotifier): void {
    this.notifier = notifier;
  }

  /**
   * 2026-07-28 clients ask for resource updates in their `subscriptions/listen` filter (`notifications.resourceSubscriptions`), not
   * with resources/subscribe. While any open stream wants a URI, the upstream that owns it is subscribed to it.
   * Returns the release for when the stream closes.
   */
  watchResources(uris: readonly string[]): () => void {
    for (const uri of uris) {
      const watchers = this.watched.get(uri) ?? 0;
      this.watched.set(uri, watchers + 1);
      if (watchers === 0) void this.view.subscribe(uri, { signal: new AbortController().signal }).catch(() => {});
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const uri of uris) {
        const watchers = (this.watched.get(uri) ?? 1) - 1;
        if (watchers > 0) {
          this.watched.set(uri, watchers);
          continue;
        }
        this.watched.delete(uri);
        void this.view.unsubscribe(uri, { signal: new AbortController().signal }).catch(() => {});
      }
    };
  }

  /** A call is between input rounds: its client will come back with the answers. */
  get busy(): boolean {
    return this.exchanges.size > 0;
  }

  async close(): Promise<void> {
    for (const exchange of this.exchanges.values()) exchange.cancel();
    await this.view.close({ forgetTokens: false });
  }

  /**
   * A tools/call whose client can be asked nothing (it declared no sampling, elicitation or roots): relayed straight,
   * with no exchange. A 2026 upstream is told the client's capabilities; what a 2025 one asks during the call is
   * refused to it, and the call answers MissingRequiredClientCapabilityError (MCP 2026-07-28 basic/lifecycle: -32021),
   * as on the exchange path (forwardRequest).
   */
  async callDirect(params: Parameters<PrincipalView['callTool']>[0], capabilities: ClientCapabilities, signal: AbortSignal) {
    const key = `direct:${this.nextDirectCall++}`;
    const call: { capabilities: ClientCapabilities; refused?: ClientCapabilities } = { capabilities };
    this.directCalls.set(key, call);
    try {
      const result = await this.view.callTool(params, { signal, requestId: key, clientCapabilities: capabilities });
      if (call.refused) throw new MissingRequiredClientCapabilityError({ requiredCapabilities: call.refused });
      return result;
    } finally {
      this.directCalls.delete(key);
    }
  }

  // --- RequestRunner: a relayed request may take several rounds ---

  async relayed<T>(ctx: ServerContext, work: (relay: RelayContext) => Promise<T>) {
    const state = ctx.mcpReq.requestState<SealedState>();
    let exchange: Exchange;
    if (state) {
      const found = this.exchanges.get(state.exchange);
      if (!found) throw new CallEndedError();
      exchange = found;
      exchange.answer(ctx.mcpReq.inputResponses);
    } else {
      exchange = new Exchange((ended) => this.exchanges.delete(ended.key));
      this.exchanges.set(exchange.key, exchange);
      // The upstream request declares what this client declared on it (2026-07-28: each request declares its own).
      const declared = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
      exchange.start(work({ ...exchange.relay, clientCapabilities: declared ?? {} }));
    }
    const outcome = await exchange.next(ctx);
    if (outcome.kind === 'done') return outcome.result as T;
    return inputRequired({
      inputRequests: outcome.requests as Record<string, InputRequest>,
      requestState: this.sealer.seal(JSON.stringify({ exchange: exchange.key, expiresAt: Date.now() + ROUND_WAIT_MS } satisfies SealedState), this.owner),
    });
  }

  private openState(state: string): SealedState {
    const opened = this.sealer.open(state, this.owner);
    const parsed = opened ? (JSON.parse(opened) as SealedState) : undefined;
    if (!parsed || parsed.expiresAt < Date.now()) throw new Error('request state not minted here, or expired');
    return parsed;
  }

  // --- DownstreamFace ---

  /**
   * An upstream's request during a call becomes one of the call's input requests. Outside a call there is nothing to
   * answer it with: the modern era has no server-to-client requests (2026-07-28 basic/patterns/mrtr).
   */
  forwardRequest(request: Request, options: { signal: AbortSignal; relatedRequestId?: RequestId; inputKey?: string }) {
    const direct = options.relatedRequestId === undefined ? undefined : this.directCalls.get(String(options.relatedRequestId));
    if (direct) {
      direct.refused ??= requiredCapabilities(request);
      return Promise.reject(new UnanswerableRequestError('missing-capability', missingCapability(request, direct.capabilities) ?? request.method));
    }
    const exchange = options.relatedRequestId === undefined ? undefined : this.exchanges.get(String(options.relatedRequestId));
    if (!exchange) {
      return Promise.reject(new UnanswerableRequestError('outside-call', request.method));
    }
    const missing = missingCapability(request, exchange.clientCapabilities);
    // Upstreams are told what any of this principal's clients can do; this call's client may lack it. MCP 2026-07-28
    // basic/lifecycle: a request that needs a capability the client did not declare is answered with
    // MissingRequiredClientCapabilityError (-32021, HTTP 400), as a server that knew would; it is not run without it.
    if (missing) {
      exchange.refuse(new MissingRequiredClientCapabilityError({ requiredCapabilities: requiredCapabilities(request) }));
      return Promise.reject(new UnanswerableRequestError('missing-capability', missing));
    }
    return exchange.ask(request, options.signal, options.inputKey);
  }

  async sendNotification(notification: Notification, relatedRequestId?: RequestId): Promise<void> {
    // Only what belongs to a call has a stream to go on; the modern era has no unsolicited messages besides listen.
    const exchange = relatedRequestId === undefined ? undefined : this.exchanges.get(String(relatedRequestId));
    await exchange?.relay.sendNotification?.(notification);
  }

  listChanged(part: 'tools' | 'prompts' | 'resources'): void {
    if (part === 'tools') this.notifier.toolsChanged();
    else if (part === 'prompts') this.notifier.promptsChanged();
    else this.notifier.resourcesChanged();
  }

  resourceUpdated(uri: string): void {
    this.notifier.resourceUpdated(uri);
  }

  elicitUrl(elicitation: UrlElicitation, relatedRequestId: RequestId | undefined): boolean {
    const exchange = relatedRequestId === undefined ? undefined : this.exchanges.get(String(relatedRequestId));
    if (!exchange?.clientCapabilities.elicitation?.url) return false;
    // The in-band 2026-07-28 URL elicitation has no elicitationId; completion is the retry itself.
    void exchange.ask({ method: 'elicitation/create', params: { mode: 'url', message: elicitation.message, url: elicitation.url } }).catch(() => {});
    return true;
  }

  completeElicitation(): void {
    // 2026-07-28 has no notifications/elicitation/complete: the client's retry answers the URL elicitation.
  }
}
