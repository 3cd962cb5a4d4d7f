/**
 * The conformance fixture as a standalone upstream, to run by hand or to point the suite at directly:
 *
 *   tsx mock-servers/conformance/main.ts --port 7001
 *   .conformance/node_modules/.bin/node .conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js \
 *     server --url http://127.0.0.1:7001/mcp
 *
 * Prints its URL on the first line of stdout and serves until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startConformanceFixture } from './http.js';

const USAGE = 'usage: tsx mock-servers/conformance/main.ts [--port PORT] [--host HOST]';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port: expected 0-65535, got ${values.port}\n${USAGE}`);
  process.exit(2);
}

const fixture = await startConformanceFixture({ host: values.host, port });
console.log(fixture.url);

const shutdown = (): void => {
  void fixture.close().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
