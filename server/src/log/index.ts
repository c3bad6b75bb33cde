import { pino, type Logger } from 'pino';
import { service } from '../../../platform/service.js';
import type { LogLevel } from '../config/index.js';

export type { Logger } from 'pino';

/** Paths that may hold credentials anywhere in a log object; pino replaces their values. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'res.headers["set-cookie"]',
  'password',
  'token',
  'secret',
  'jwtSecret',
  '*.password',
  '*.token',
  '*.access_token',
  '*.code_verifier',
  '*.secret',
  '*.jwtSecret',
  '*.authorization',
  // Request bodies (body-parser errors carry the raw body) may hold passwords: never logged.
  'body',
  '*.body',
  'err.cause.body',
];

/** JSON logs on stdout, one line per event, credentials redacted. */
export function createLogger(options: { level: LogLevel; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: service.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
