/**
 * A mock MCP server for tests: tools, prompts, resources, failures and delays under the test's
 * control, over Streamable HTTP, legacy HTTP+SSE (2024-11-05) or stdio (see stdio.ts).
 *
 *   const mock = await startMockMcpServer({ name: 'weather', tools: [{ name: 'echo' }, { name: 'slow' }] }, { transport: 'streamable-http' });
 *   // connect a client to mock.url ... then mock.calls(), mock.addTool(...), mock.stop(), mock.start()
 */
export { startMockMcpServer } from './http.js';
export { builtinToolNames } from './tools.js';
export { stdioCommand } from './stdio-command.js';
export type { MockCredential } from './credential.js';
export type {
  MockCall,
  MockEra,
  MockFailingMode,
  MockMcpServer,
  MockMcpServerOptions,
  MockMcpSpec,
  MockPrompt,
  MockResource,
  MockResourceTemplate,
  MockTool,
  MockTransportKind,
} from './types.js';
