import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, parseReplicaId } from './config/index.js';
import { createLogger } from './log/index.js';
import { PortInUseError } from './http/index.js';
import { serveHttp, serveStdio } from './switchboard.js';

const USAGE = `Usage: switchboard serve --config <file> [--port <n>] [--host <addr>] [--stdio] [--log-level <level>] [--pretty]

  --config, -c   YAML or JSON file with an mcpServers block (the format of Claude Desktop, Cursor and VS Code)
  --port         HTTP port (default 8080, or http.port in the config; 0 picks a free one). With --stdio the port
                 serves only the OAuth callback, and a taken default port is replaced by a free one
  --host         address to bind (default 127.0.0.1)
  --stdio        serve one session over stdin/stdout instead of HTTP (for IDEs that launch a command)
  --log-level    trace | debug | info | warn | error | silent
  --pretty       human-readable logs`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string' },
      host: { type: 'string' },
      stdio: { type: 'boolean', default: false },
      'log-level': { type: 'string' },
      pretty: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0] ?? 'serve';
  if (values.help || command !== 'serve' || !values.config) {
    console.error(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const config = await loadConfigFile(values.config);
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port: expected a port number, got "${values.port}"`);
    config.http.port = port;
    config.http.portChosen = true;
  }
  if (values.host) config.http.host = values.host;
  if (values['log-level']) config.log.level = values['log-level'] as typeof config.log.level;
  if (values.pretty !== undefined) config.log.pretty = values.pretty;
  if (process.env.SWITCHBOARD_STORE_URL) config.store.url = process.env.SWITCHBOARD_STORE_URL;
  if (process.env.SWITCHBOARD_REPLICA_ID) config.http.replicaId = parseReplicaId(process.env.SWITCHBOARD_REPLICA_ID);
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, destination: values.stdio ? 2 : 1 });

  const options = { secret: process.env.SWITCHBOARD_SECRET, configFile: values.config };
  const running = values.stdio ? await serveStdio(config, logger, options) : await serveHttp(config, logger, options);
  // One shutdown, whichever of stdin's end and the signals comes first: a signal during it does not start another.
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => (stopping ??= (async () => {
    logger.info({ signal }, 'stopping');
    await running.close();
    logger.flush();
    process.exit(0);
  })());
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // SIGHUP reloads the configuration file (its servers), as daemons do; a file watch does the same by itself.
  process.on('SIGHUP', () => void running.reload());
  if (values.stdio) process.stdin.once('end', () => void stop('stdin closed'));
}

// Stay up on stray errors from upstream connections; exit only for failures at start.
process.on('unhandledRejection', (reason) => console.error('switchboard: unhandled rejection:', reason instanceof Error ? reason.message : reason));

function startFailure(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof PortInUseError) {
    return `switchboard: port ${error.port} on ${error.host} is taken by another process; choose another with --port <n> or http.port in the configuration (0 picks a free one)`;
  }
  return `switchboard: ${error instanceof Error ? error.message : String(error)}`;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(startFailure(error));
  process.exit(1);
});
