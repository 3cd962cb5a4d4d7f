/**
 * Where the browser comes back to switchboard: the public URL, the OAuth redirect URI under it, and the URL of the
 * client metadata document. Known at start when configured, otherwise once the HTTP port is bound.
 */
export class CallbackAddress {
  private url: string;

  constructor(publicUrl: string | undefined) {
    this.url = trimSlashes(publicUrl ?? 'http://127.0.0.1');
  }

  set(publicUrl: string): void {
    this.url = trimSlashes(publicUrl);
  }

  get publicUrl(): string {
    return this.url;
  }

  get redirectUri(): string {
    return `${this.url}/oauth/callback`;
  }

  get clientMetadataUrl(): string {
    return `${this.url}/oauth/client-metadata.json`;
  }
}

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}
