import { pino, type Logger, type LoggerOptions } from 'pino';

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

export function createLogger(service: string, level: LoggerOptions['level'] = 'info'): Logger {
  return pino({
    level,
    base: { service },
    redact: {
      paths: [...redactPaths, 'req.headers.authorization', 'req.headers.cookie'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
