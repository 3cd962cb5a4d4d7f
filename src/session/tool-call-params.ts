import { z } from 'zod';

/** MCP 2025-11-25 server/tools#calling-tools: `name` is the tool's name, `arguments` an object of its arguments. */
const ToolCallParams = z.object({
  name: z.string({ error: 'tools/call needs "name", the name of a tool, as a string' }).min(1, 'tools/call needs "name", the name of a tool, as a string'),
  arguments: z.record(z.string(), z.unknown(), { error: 'tools/call "arguments" must be an object of argument names to values' }).optional(),
}, { error: 'tools/call needs params with "name" and, optionally, "arguments"' });

/**
 * What is wrong with the params of a tools/call, in a short sentence for the client, or undefined when nothing is.
 * Such a call is Invalid Params (-32602) from switchboard itself and never reaches an upstream; the SDK's own check
 * would answer with its schema's whole issue list.
 */
export function toolCallParamsProblem(params: unknown): string | undefined {
  if (isPlainToolCall(params)) return undefined;
  const parsed = ToolCallParams.safeParse(params);
  return parsed.success ? undefined : `Invalid params: ${parsed.error.issues[0]?.message}`;
}

/** The usual params, recognised without zod; a subset of what `ToolCallParams` accepts, so zod words every problem. */
function isPlainToolCall(params: unknown): boolean {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return false;
  const { name, arguments: args } = params as { name?: unknown; arguments?: unknown };
  return typeof name === 'string' && name.length > 0 && (args === undefined || (typeof args === 'object' && args !== null && !Array.isArray(args)));
}
