/** RFC 6750 §3: values are quoted strings; quotes and backslashes escaped. */
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export interface BearerChallenge {
  error?: 'invalid_token' | 'insufficient_scope' | 'invalid_request';
  errorDescription?: string;
  scope?: string[];
  /** RFC 9728 §5.1. */
  resourceMetadata?: string;
}

/** Builds a `WWW-Authenticate: Bearer ...` value (RFC 6750 §3, RFC 9728 §5.1). */
export function bearerChallenge(challenge: BearerChallenge): string {
  const params: string[] = ['realm="mcp"'];
  if (challenge.error) params.push(`error=${quote(challenge.error)}`);
  if (challenge.errorDescription) params.push(`error_description=${quote(challenge.errorDescription)}`);
  if (challenge.scope && challenge.scope.length > 0) params.push(`scope=${quote(challenge.scope.join(' '))}`);
  if (challenge.resourceMetadata) params.push(`resource_metadata=${quote(challenge.resourceMetadata)}`);
  return `Bearer ${params.join(', ')}`;
}
