import type { OAuthClientMetadata, OAuthClientProvider, OAuthDiscoveryState, StoredOAuthClientInformation, StoredOAuthTokens } from '@modelcontextprotocol/client';

/**
 * The SDK v2 client's own OAuth provider interface, implemented the way a desktop MCP client does, in memory: it
 * registers by itself (DCR), keeps its tokens and verifier, and its "browser" follows the authorization URL to the
 * redirect, where the code waits for `finishAuth`. Nothing in it knows about switchboard.
 */
export class InMemoryOAuthClient implements OAuthClientProvider {
  private info: StoredOAuthClientInformation | undefined;
  private stored: StoredOAuthTokens | undefined;
  private verifier = '';
  private discovery: OAuthDiscoveryState | undefined;
  /** The query of the redirect the authorization server sent the browser to. */
  callback: URLSearchParams | undefined;
  readonly authorizationUrls: URL[] = [];

  readonly redirectUrl = 'http://127.0.0.1:1/callback';

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'bdd desktop client', redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }

  clientInformation(): StoredOAuthClientInformation | undefined {
    return this.info;
  }

  saveClientInformation(info: StoredOAuthClientInformation): void {
    this.info = info;
  }

  tokens(): StoredOAuthTokens | undefined {
    return this.stored;
  }

  saveTokens(tokens: StoredOAuthTokens): void {
    this.stored = tokens;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizationUrls.push(url);
    const answer = await fetch(url, { redirect: 'manual' });
    const location = answer.headers.get('location');
    if (!location) throw new Error(`the authorization server did not redirect (HTTP ${answer.status})`);
    this.callback = new URL(location).searchParams;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  /** SEP-2352: the authorization server the redirect leg started with, checked again on the callback leg. */
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }
}
