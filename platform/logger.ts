import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * Keys that may carry personal data. Whatever logs an object holding them gets "[redacted]";
 * code logs ids (customer id, event id), never contacts or names.
 */
export const personalDataKeys = [
  'phone',
  'email',
  'firstName',
  'lastName',
  'middleName',
  'name',
  'birthDate',
  'address',
  'password',
  'passwordHash',
  'token',
  'apiKey',
  'authorization',
  'cookie',
];

const redactPaths = personalDataKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export type LogFormat = 'pretty' | 'json';

/** Where a logger writes: stdout unless a test gives another stream. */
export type LogDestination = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * `LOG_FORMAT` when set (`npm start` passes its own choice to the processes it runs behind pipes);
 * else readable lines on a terminal and JSON everywhere else.
 */
export function logFormat(
  destination: LogDestination,
  env: Record<string, string | undefined> = process.env,
): LogFormat {
  if (env.LOG_FORMAT === 'pretty' || env.LOG_FORMAT === 'json') return env.LOG_FORMAT;
  return destination.isTTY ? 'pretty' : 'json';
}

export function createLogger(
  service: string,
  level: LoggerOptions['level'] = 'info',
  destination: LogDestination = process.stdout,
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    redact: {
      paths: [...redactPaths, 'req.headers.authorization', 'req.headers.cookie'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (logFormat(destination) === 'json') {
    return pino(options, destination === process.stdout ? pino.destination(1) : destination);
  }
  return pino(
    options,
    pretty({
      destination,
      sync: true,
      colorize: !process.env.NO_COLOR,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
      messageFormat: '{service}: {msg}',
    }),
  );
}
