import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names that may carry secrets are censored wherever they appear, as a second line of defence:
 * the first is that code never passes a token, code, verifier or secret to a log call at all.
 */
export const REDACTED_KEYS = [
  'authorization', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'token', 'code', 'codeVerifier',
  'code_verifier', 'clientSecret', 'client_secret', 'secret', 'password', 'apiKey',
];

export interface LogOptions {
  level: string;
  pretty: boolean;
  /** Defaults to stdout; stdio mode must log to stderr because stdout carries the protocol. */
  destination?: 1 | 2 | DestinationStream;
}

export function createLogger(options: LogOptions): Logger {
  const destination = options.destination ?? 1;
  const redact = { paths: REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]), censor: '[redacted]' };
  if (typeof destination !== 'number') return pino({ level: options.level, redact }, destination);
  if (options.pretty) {
    return pino({ level: options.level, redact }, pino.transport({ target: 'pino-pretty', options: { destination, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' } }));
  }
  return pino({ level: options.level, redact }, pino.destination({ fd: destination, sync: false }));
}
