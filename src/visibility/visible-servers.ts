import type { Config, ServerConfig } from '../config/index.js';

/**
 * Who is looking, as far as visibility goes: the user the front door let in (the subject its `userClaim` names) and
 * the teams its `teamsClaim` lists. A legacy session keeps the viewer of the user who opened it.
 */
export interface Viewer {
  readonly subject: string;
  readonly teams: readonly string[];
}

/**
 * Whether `viewer` may see a server. `undefined`: there is no front door, so nobody is known and every server is
 * public (issue 8: "Without the front door, every server is public"). A private server is its owners'; a team server
 * its teams' members' and its owners'.
 */
export function maySee(server: ServerConfig, viewer: Viewer | undefined): boolean {
  if (!viewer || server.visibility === 'public') return true;
  if (server.owners?.includes(viewer.subject)) return true;
  return server.visibility === 'team' && viewer.teams.some((team) => server.teams?.includes(team));
}

/** The names of the servers `viewer` may see, in configuration order (the order names are given way in on a collision). */
export function visibleServers(config: Pick<Config, 'mcpServers'>, viewer: Viewer | undefined): string[] {
  return Object.entries(config.mcpServers).filter(([, server]) => maySee(server, viewer)).map(([name]) => name);
}
