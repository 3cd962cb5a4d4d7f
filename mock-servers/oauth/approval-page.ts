function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export interface ApprovalPageInput {
  action: string;
  transactionId: string;
  clientId: string;
  clientName?: string;
  scope: string;
  resources: string[];
  defaultUser: string;
}

/**
 * The sign-in page for `approval: 'form'`. Stable names for automation:
 * form `#approve`, fields `tx` and `username`, submit buttons
 * `name="decision"` with values `approve` ("Sign in") and `deny` ("Deny").
 */
export function renderApprovalPage(input: ApprovalPageInput): string {
  const who = escapeHtml(input.clientName ?? input.clientId);
  const scope = input.scope === '' ? '(none)' : escapeHtml(input.scope);
  const resources = input.resources.length === 0 ? '(none)' : input.resources.map(escapeHtml).join(', ');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - mock authorization server</title></head>
<body>
<h1>Sign in</h1>
<p><strong>${who}</strong> wants access.</p>
<p>Scope: <code id="scope">${scope}</code></p>
<p>Resource: <code id="resource">${resources}</code></p>
<form id="approve" method="post" action="${escapeHtml(input.action)}">
  <input type="hidden" name="tx" value="${escapeHtml(input.transactionId)}">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" value="${escapeHtml(input.defaultUser)}" autocomplete="username">
  <button type="submit" name="decision" value="approve">Sign in</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>
</body>
</html>
`;
}
