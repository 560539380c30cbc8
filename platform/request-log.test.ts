import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { DebugRequestLogController } from './request-log';

async function requestLines(level: 'info' | 'debug'): Promise<string[]> {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').trim().split('\n'));
      done();
    },
  });
  const app = Fastify({
    loggerInstance: createLogger('api', level, stream) as FastifyBaseLogger,
    logController: new DebugRequestLogController(),
  });
  app.get('/ok', async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  await app.inject({ url: '/ok' });
  await app.inject({ url: '/boom' });
  await app.close();
  return lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
}

describe('DebugRequestLogController', () => {
  it('logs incoming and completed requests only at debug; a failing request still at info', async () => {
    const info = await requestLines('info');
    expect(info).not.toContain('incoming request');
    expect(info).not.toContain('request completed');
    expect(info).toContain('boom');
    const debug = await requestLines('debug');
    expect(debug.filter((msg) => msg === 'incoming request')).toHaveLength(2);
    expect(debug).toContain('request completed');
  });
});
