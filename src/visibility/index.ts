/**
 * Which servers a user sees behind the front door (issue 8, visibility). A view offers only the servers of its scope;
 * the others are not hidden but absent: their tools, prompts, resources and sign-in tools are never listed, and a
 * name of theirs is answered as unknown (and the refusal audited).
 *
 *   const scope = serverScope({ config, viewer: { subject: 'alice', teams: ['payments'] }, audit, user: 'alice' });
 *   new PrincipalView({ ...options, scope });
 */
export { maySee, visibleServers, type Viewer } from './visible-servers.js';
export { serverScope, type Offering, type ScopeOptions, type ServerScope } from './server-scope.js';
