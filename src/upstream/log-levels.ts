import type { LoggingLevel } from '@modelcontextprotocol/client';

/** MCP 2025-11-25 server/utilities/logging: the syslog severities, least severe first. */
const LOG_SEVERITY: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

function severity(level: string): number {
  return LOG_SEVERITY.indexOf(level as LoggingLevel);
}

/** Whether a message at `level` reaches a client that asked for `wanted` and above (a level it cannot read passes). */
export function levelAdmits(wanted: LoggingLevel | string, level: unknown): boolean {
  return typeof level !== 'string' || severity(level) >= severity(wanted);
}

/** The most verbose of several clients' levels: what an upstream shared by them is set to. */
export function mostVerbose(levels: Iterable<LoggingLevel>): LoggingLevel | undefined {
  let chosen: LoggingLevel | undefined;
  for (const level of levels) if (chosen === undefined || severity(level) < severity(chosen)) chosen = level;
  return chosen;
}
