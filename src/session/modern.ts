import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  LOG_LEVEL_META_KEY,
  ProtocolErrorCode,
  MissingRequiredClientCapabilityError,
  type ClientCapabilities,
  type InputRequest,
  type InputRequiredResult,
  type Notification,
  type Request,
  type RequestId,
  type Server,
  type ServerContext,
  type ServerNotifier,
} from '@modelcontextprotocol/server';
import { HeldCallLostError, type HeldCalls, type HeldRound, type HeldRoundAnswer, type HeldRoundNotification, type Sealer } from '../store/index.js';
import { RELAYABLE_CAPABILITIES } from '../upstream/index.js';
import type { UrlElicitation } from './auth-tools.js';
import { CallEndedError, ForeignRequestStateError, HeldRoundError, UnanswerableRequestError } from './errors.js';
import { Exchange, ROUND_WAIT_MS, type Round, type RoundOutcome } from './exchange.js';
import { roundCall, RoundStates, UpstreamInputRound, type RoundState } from './rounds.js';
import { missingCapability, requiredCapabilities } from './capabilities.js';
import { createServerFace, type RequestRunner } from './handlers.js';
import { principalKey } from '../principal/index.js';
import type { DownstreamFace, PrincipalView, RelayContext } from './view.js';


/** Until a face is told where listen streams are, there are none to tell. */
const NO_LISTENERS: ServerNotifier = { toolsChanged() {}, promptsChanged() {}, resourcesChanged() {}, resourceUpdated() {} };

export interface ModernFaceOptions {
  /** Seals requestStates: requestStateSealer(SWITCHBOARD_SECRET), so that every replica opens what any of them sealed. */
  sealer: Sealer;
  /** This replica, as the states of the calls it holds name it (`http.replicaId`, or a random id per process). */
  replica: string;
  /** Where the rounds of calls held by other replicas go; absent when no other replica can be reached. */
  heldCalls?: HeldCalls;
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
  private readonly states: RoundStates;
  private readonly principal: string;
  private readonly watched = new Map<string, number>();
  /**
   * Calls answered without the SDK's server (src/http/modern-fast-path.ts), by relay key: their clients' capabilities,
   * and what an upstream asked during the call that the client could not answer.
   */
  private readonly directCalls = new Map<string, { capabilities: ClientCapabilities; refused?: ClientCapabilities }>();
  private nextDirectCall = 0;

  constructor(private readonly view: PrincipalView, private readonly options: ModernFaceOptions, private notifier: ServerNotifier = NO_LISTENERS) {
    this.principal = view.principal ? principalKey(view.principal) : 'nobody';
    this.states = new RoundStates(options.sealer, this.principal);
    view.attach(this);
  }

  /** A server instance for one request (HTTP) or one connection (stdio), over this principal's view. */
  createServer(): Server {
    this.view.start();
    return createServerFace(this.view, this, {
      // MRTR server requirements 4-5: state that round-trips through the client is integrity-protected and checked
      // before the handler runs; a forged, foreign or expired state is refused with -32602.
      requestState: { verify: (state) => this.states.open(state) },
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

  async relayed<T>(ctx: ServerContext, request: Request, work: (relay: RelayContext) => Promise<T>): Promise<T | InputRequiredResult> {
    const state = ctx.mcpReq.requestState<RoundState>();
    const round = roundOf(ctx);
    const call = roundCall(request);
    if (state?.kind === 'held') {
      // The retry must be the request its state was minted for (the upstream's own check is the upstream's, below).
      if (state.call !== call) throw new ForeignRequestStateError();
      const answer = state.replica === this.options.replica ? this.continueHeld(state.exchange, ctx.mcpReq.inputResponses, round) : this.forwardHeld(state, ctx, round);
      return (await answer) as T | InputRequiredResult;
    }
    const exchange = this.openExchange(call);
    exchange.start(work({
      ...exchange.relay,
      // The upstream request declares what this client declared on it (2026-07-28: each request declares its own).
      clientCapabilities: round.capabilities,
      statelessRounds: true,
      ...(state && { continuation: { call: state.call, upstreamState: state.upstreamState, inputResponses: ctx.mcpReq.inputResponses ?? {} } }),
    }));
    return (await this.runRound(exchange, round)) as T | InputRequiredResult;
  }

  /** Whether this face holds the call `exchange` of `principal` (a round another replica forwarded). */
  holds(exchange: string, principal: string): boolean {
    return principal === this.principal && this.exchanges.has(exchange);
  }

  /** The round of a held call that another replica received: run here, where the call waits, and answered there. */
  async answerHeld(round: HeldRound, options: { signal: AbortSignal; notify(notification: HeldRoundNotification): void }): Promise<HeldRoundAnswer> {
    try {
      const result = await this.continueHeld(round.exchange, round.inputResponses, {
        signal: options.signal,
        capabilities: round.capabilities as ClientCapabilities,
        logLevel: round.logLevel,
        notify: async (notification) => options.notify(notification as HeldRoundNotification),
      });
      return { result: result as Record<string, unknown> };
    } catch (error) {
      return { error: jsonRpcError(error) };
    }
  }

  private openExchange(call: string): Exchange {
    const exchange = new Exchange(call, (ended) => this.exchanges.delete(ended.key));
    this.exchanges.set(exchange.key, exchange);
    return exchange;
  }

  private continueHeld(key: string, inputResponses: Record<string, unknown> | undefined, round: Round): Promise<unknown> {
    const exchange = this.exchanges.get(key);
    if (!exchange) return Promise.reject(new CallEndedError());
    exchange.answer(inputResponses);
    return this.runRound(exchange, round);
  }

  /**
   * The call waits on another replica (a 2025 upstream asked on the connection it holds): the round goes there, and
   * its answer, complete or another input round, comes back here. A replica that is gone loses the call.
   */
  private async forwardHeld(state: Extract<RoundState, { kind: 'held' }>, ctx: ServerContext, round: Round): Promise<unknown> {
    const heldCalls = this.options.heldCalls;
    if (!heldCalls) throw new CallEndedError('lost');
    let answer: HeldRoundAnswer;
    try {
      answer = await heldCalls.forward(state.replica, {
        principal: this.principal,
        exchange: state.exchange,
        ...(ctx.mcpReq.inputResponses && { inputResponses: ctx.mcpReq.inputResponses }),
        capabilities: round.capabilities as Record<string, unknown>,
        ...(round.logLevel !== undefined && { logLevel: round.logLevel }),
      }, { signal: ctx.mcpReq.signal, onNotification: (notification) => void round.notify(notification as Notification).catch(() => {}) });
    } catch (error) {
      if (error instanceof HeldCallLostError) throw new CallEndedError('lost');
      throw error;
    }
    if ('error' in answer) throw new HeldRoundError(answer.error.code, answer.error.message, answer.error.data);
    return answer.result;
  }

  /** One round of a call: its result, or what the client must answer first, with the requestState to retry with. */
  private async runRound(exchange: Exchange, round: Round): Promise<unknown> {
    let outcome: RoundOutcome;
    try {
      outcome = await exchange.next(round);
    } catch (error) {
      if (error instanceof UpstreamInputRound) return this.upstreamRound(error, round.capabilities);
      throw error;
    }
    if (outcome.kind === 'done') return outcome.result;
    return inputRequired({
      inputRequests: outcome.requests as Record<string, InputRequest>,
      requestState: this.states.seal({ kind: 'held', replica: this.options.replica, exchange: exchange.key, call: exchange.call, expiresAt: Date.now() + ROUND_WAIT_MS }),
    });
  }

  /**
   * A 2026 upstream asked through its own input_required result: the client gets its requests under the upstream's
   * keys, and a state from which any replica retries the upstream request. MCP 2026-07-28 basic/lifecycle: a request
   * needing a capability the client did not declare is refused with -32021, never sent to it.
   */
  private upstreamRound(asked: UpstreamInputRound, capabilities: ClientCapabilities): InputRequiredResult {
    for (const request of Object.values(asked.inputRequests)) {
      if (missingCapability(request, capabilities)) throw new MissingRequiredClientCapabilityError({ requiredCapabilities: requiredCapabilities(request) });
    }
    return inputRequired({
      inputRequests: asked.inputRequests as Record<string, InputRequest>,
      requestState: this.states.seal({ kind: 'upstream', call: asked.call, ...(asked.upstreamState !== undefined && { upstreamState: asked.upstreamState }), expiresAt: Date.now() + ROUND_WAIT_MS }),
    });
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

/** A round as the client sent it: its capabilities and log level from the request's `_meta` envelope. */
function roundOf(ctx: ServerContext): Round {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const level = envelope?.[LOG_LEVEL_META_KEY] ?? (ctx.mcpReq._meta as Record<string, unknown> | undefined)?.[LOG_LEVEL_META_KEY];
  return {
    signal: ctx.mcpReq.signal,
    capabilities: (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? {},
    logLevel: typeof level === 'string' ? level : undefined,
    notify: (notification) => ctx.mcpReq.notify(notification),
  };
}

/** A round's failure as the JSON-RPC error the holder would have answered with itself. */
function jsonRpcError(error: unknown): { code: number; message: string; data?: unknown } {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (!(error instanceof Error) || typeof code !== 'number' || !Number.isSafeInteger(code)) return { code: ProtocolErrorCode.InternalError, message: 'Internal error' };
  const data = (error as { data?: unknown }).data;
  return { code, message: error.message, ...(data !== undefined && { data }) };
}
