import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../db/api-keys';
import { testMessaging, testSecret } from '../test/support/messages';
import { createLogger } from '../platform/logger';
import { useApiFixture } from '../test/support/api-fixture';
import { buildApiServer } from './server';
import { tlsFromEnv } from './tls';
import type { ApiApp } from './types';

const api = useApiFixture('tls');
const dir = mkdtempSync(join(tmpdir(), 'loyalflow-tls-'));
const file = (name: string) => join(dir, name);
const pem = (name: string) => readFileSync(file(name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A P-256 key and a certificate for `name`, signed by the test CA (or by itself when `selfSigned`). */
function certificate(name: string, subject: string, extensions: string, selfSigned = false): void {
  writeFileSync(file(`${name}.ext`), extensions);
  const key = [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
  ];
  if (selfSigned) {
    openssl('req', '-x509', ...key, '-out', `${name}.crt`, '-days', '2', '-subj', subject);
    return;
  }
  openssl('req', ...key, '-out', `${name}.csr`, '-subj', subject);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  );
}

let app: ApiApp;
let port = 0;

interface Answer {
  status: number;
  body: { error?: { code: string; field?: string } };
}

/** A lookup over HTTPS with the key, presenting the client certificate `client` (or none). */
function lookup(token: string, client?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/customers/lookup',
        ca: pem('ca.crt'),
        servername: 'localhost',
        ...(client ? { cert: pem(`${client}.crt`), key: pem(`${client}.key`) } : {}),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ customer: { kind: 'phone', value: '+79990000009' } }));
  });
}

beforeAll(async () => {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=Loyalflow test CA',
  );
  certificate('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  certificate('till', '/CN=till-1', 'extendedKeyUsage=clientAuth\n');
  certificate('other', '/CN=till-2', 'extendedKeyUsage=clientAuth\n');
  certificate('rogue', '/CN=till-1', '', true);
  app = await buildApiServer({
    db: api.t.db,
    log: createLogger('test-api-tls', 'silent'),
    temporalAddress: '127.0.0.1:1',
    secret: testSecret,
    messaging: testMessaging,
    webUrl: 'http://web.test',
    tls: { cert: pem('server.crt'), key: pem('server.key'), ca: pem('ca.crt') },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mutual TLS per key', () => {
  async function tillKey(certificateSha256: string | null): Promise<string> {
    const key = await issueApiKey(api.t.db, {
      programId: api.demo.programId,
      label: 'TLS till',
      scopes: ['customers:read'],
      clientCertificateSha256: certificateSha256,
    });
    return key.token;
  }

  it('admits a key that requires a certificate only with exactly that certificate, signed by the CA', async () => {
    const fingerprint = new X509Certificate(pem('till.crt')).fingerprint256.replaceAll(':', '').toLowerCase();
    const token = await tillKey(fingerprint);
    expect((await lookup(token, 'till')).status).toBe(404);
    for (const client of [undefined, 'other', 'rogue']) {
      const refused = await lookup(token, client);
      expect(refused.status, client).toBe(401);
      expect(refused.body.error).toMatchObject({
        code: 'client_certificate_required',
        field: 'headers.authorization',
      });
    }
    const rogue = new X509Certificate(pem('rogue.crt')).fingerprint256.replaceAll(':', '').toLowerCase();
    const rogueKey = await tillKey(rogue);
    expect((await lookup(rogueKey, 'rogue')).status).toBe(401);
  });

  it('admits keys without the requirement over the same port, with or without a certificate', async () => {
    const token = await tillKey(null);
    expect((await lookup(token)).status).toBe(404);
    expect((await lookup(token, 'other')).status).toBe(404);
  });
});

describe('TLS configuration', () => {
  it('reads the three PEM files from the environment, or none, and names what is missing', () => {
    expect(tlsFromEnv({})).toBeUndefined();
    expect(() => tlsFromEnv({ API_TLS_CERT: file('server.crt') })).toThrow(/env API_TLS_KEY, API_TLS_CA/);
    expect(() =>
      tlsFromEnv({
        API_TLS_CERT: file('none.crt'),
        API_TLS_KEY: file('server.key'),
        API_TLS_CA: file('ca.crt'),
      }),
    ).toThrow(/env API_TLS_CERT: cannot read/);
    const tls = tlsFromEnv({
      API_TLS_CERT: file('server.crt'),
      API_TLS_KEY: file('server.key'),
      API_TLS_CA: file('ca.crt'),
    });
    expect(tls?.ca.toString()).toContain('BEGIN CERTIFICATE');
  });
});
