import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormat, type LogDestination } from './logger';

function capture(isTTY: boolean): { stream: LogDestination; text: () => string } {
  let written = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString('utf8');
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => written };
}

describe('createLogger', () => {
  it('writes readable lines to a terminal, without the JSON envelope', () => {
    const out = capture(true);
    createLogger('api', 'info', out.stream).info({ customerId: 7 }, 'customer found');
    const line = stripVTControlCharacters(out.text());
    expect(line).toContain('api: customer found');
    expect(line).toContain('customerId: 7');
    expect(() => JSON.parse(line)).toThrow();
  });

  it('writes one JSON object a line anywhere else, personal data redacted', () => {
    const out = capture(false);
    createLogger('worker', 'info', out.stream).info({ phone: '+79161234567' }, 'sent');
    expect(JSON.parse(out.text())).toMatchObject({
      level: 30,
      service: 'worker',
      msg: 'sent',
      phone: '[redacted]',
    });
  });

  it('takes LOG_FORMAT over what the destination is', () => {
    expect(logFormat({ isTTY: false } as LogDestination, { LOG_FORMAT: 'pretty' })).toBe('pretty');
    expect(logFormat({ isTTY: true } as LogDestination, { LOG_FORMAT: 'json' })).toBe('json');
    expect(logFormat({ isTTY: true } as LogDestination, {})).toBe('pretty');
    expect(logFormat({} as LogDestination, {})).toBe('json');
  });
});
