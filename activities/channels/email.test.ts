import { type AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../platform/free-port';
import { ChannelError, type OutgoingMessage } from './channel';
import { EmailChannel, type EmailChannelOptions } from './email';

interface Received {
  mailFrom: string;
  rcptTo: string[];
  raw: string;
  secure: boolean;
  at: number;
}

interface TestServer {
  port: number;
  received: Received[];
  logins: { username: string; password: string }[];
  close(): Promise<void>;
}

const channels: EmailChannel[] = [];
const servers: TestServer[] = [];

afterEach(async () => {
  // Channels first, so their QUIT lets the servers close without waiting out idle pooled connections.
  for (const item of channels.splice(0)) await item.close();
  for (const item of servers.splice(0)) await item.close();
});

/** A real SMTP server on 127.0.0.1 keeping every message it takes; without STARTTLS unless the options say. */
async function startServer(options: SMTPServerOptions = {}, port = 0): Promise<TestServer> {
  const received: Received[] = [];
  const logins: TestServer['logins'] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    closeTimeout: 1000,
    onAuth(auth, _session, callback) {
      logins.push({ username: auth.username ?? '', password: auth.password ?? '' });
      if (auth.password === 'right-password') callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          at: Date.now(),
        });
        callback();
      });
    },
    ...options,
  });
  // Clients dropping the connection (the refused certificate) are reported here; no listener would crash.
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const handle: TestServer = {
    port: (server.server.address() as AddressInfo).port,
    received,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  servers.push(handle);
  return handle;
}

function channel(port: number, settings: Partial<EmailChannelOptions> = {}): EmailChannel {
  const created = new EmailChannel({
    host: '127.0.0.1',
    port,
    from: { address: 'news@shop.example', name: 'Coffee Shop' },
    connectionTimeoutMs: 2000,
    ...settings,
  });
  channels.push(created);
  return created;
}

const message: OutgoingMessage = {
  messageId: 42,
  to: 'anna@example.org',
  subject: 'Скидка 20% только сегодня',
  text: 'Hello Anna, 20% off today.',
  html: '<html><body><p>Hello <b>Anna</b>, 20% off today.</p></body></html>',
  headers: {
    'List-Unsubscribe': '<https://shop.example/m/u/TOKEN>, <mailto:unsubscribe@shop.example>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
};

async function submitError(promise: Promise<unknown>): Promise<ChannelError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

describe('EmailChannel', () => {
  it('sends the envelope, From with its name, an encoded Cyrillic Subject, the Message-ID it returns, the List-Unsubscribe headers, and text and HTML as multipart/alternative', async () => {
    const server = await startServer();
    const result = await channel(server.port).submit(message);

    expect(result.parts).toBe(1);
    expect(result.providerMessageId).toMatch(/^<m42\.[0-9a-f]{16}@shop\.example>$/);
    expect(server.received).toHaveLength(1);
    const [mail] = server.received;
    expect(mail!.mailFrom).toBe('news@shop.example');
    expect(mail!.rcptTo).toEqual(['anna@example.org']);

    // On the wire the subject is a MIME encoded-word (headers are ASCII); parsed back it is the original.
    const subjectLine = mail!.raw.split('\r\n').find((line) => line.startsWith('Subject:'));
    expect(subjectLine).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/);
    expect(mail!.raw).toMatch(/^Content-Type: multipart\/alternative;/m);

    const parsed = await simpleParser(mail!.raw);
    expect(parsed.subject).toBe(message.subject);
    expect(parsed.from?.value).toEqual([{ address: 'news@shop.example', name: 'Coffee Shop' }]);
    expect(parsed.messageId).toBe(result.providerMessageId);
    // Long header lines are folded on the wire; unfolding (dropping the line breaks) restores them.
    const headerLine = (key: string) =>
      parsed.headerLines.find((line) => line.key === key)?.line.replace(/\r?\n/g, '');
    expect(headerLine('list-unsubscribe')).toBe(
      'List-Unsubscribe: <https://shop.example/m/u/TOKEN>, <mailto:unsubscribe@shop.example>',
    );
    expect(headerLine('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(parsed.text?.trim()).toBe(message.text);
    expect(parsed.html).toBe(message.html);
    const toAddress = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    expect(toAddress?.value).toEqual([{ address: 'anna@example.org', name: '' }]);
  });

  it('sends a message without HTML as a single text/plain part', async () => {
    const server = await startServer();
    await channel(server.port).submit({
      messageId: 7,
      to: 'anna@example.org',
      subject: 'Code',
      text: '1234',
    });

    expect(server.received[0]!.raw).toMatch(/^Content-Type: text\/plain; charset=utf-8/m);
    expect(server.received[0]!.raw).not.toMatch(/multipart/);
    const parsed = await simpleParser(server.received[0]!.raw);
    expect(parsed.text?.trim()).toBe('1234');
    expect(parsed.html).toBe(false);
  });

  it('logs in with AUTH PLAIN using the user and password of its settings', async () => {
    const server = await startServer({ authOptional: false, authMethods: ['PLAIN'] });
    await channel(server.port, { user: 'relay-user', password: 'right-password' }).submit(message);

    expect(server.logins).toEqual([{ username: 'relay-user', password: 'right-password' }]);
    expect(server.received).toHaveLength(1);
  });

  it('reports a refused login as transient, with neither the user nor the password in the error', async () => {
    const server = await startServer({ authOptional: false, authMethods: ['PLAIN'] });
    const error = await submitError(
      channel(server.port, { user: 'relay-user', password: 'wrong-secret' }).submit(message),
    );

    expect(error.permanent).toBe(false);
    expect(error.reason).toBe('auth failed: 535');
    expect(`${error.reason} ${error.message}`).not.toMatch(/relay-user|wrong-secret/);
    expect(server.received).toHaveLength(0);
  });

  it('reports a recipient refused with 550 at RCPT as a permanent ChannelError', async () => {
    const server = await startServer({
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      },
    });
    const error = await submitError(channel(server.port).submit(message));

    expect(error.reason).toBe('rejected: 550');
    expect(error.permanent).toBe(true);
    expect(server.received).toHaveLength(0);
  });

  it('reports a 451 at RCPT as a transient ChannelError', async () => {
    const server = await startServer({
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
      },
    });
    const error = await submitError(channel(server.port).submit(message));

    expect(error.reason).toBe('deferred: 451');
    expect(error.permanent).toBe(false);
  });

  it('reports a server that is down as transient, then sends exactly one message once a server listens on that port', async () => {
    const port = await freePort();
    const email = channel(port);
    const error = await submitError(email.submit(message));
    expect(error.permanent).toBe(false);
    expect(error.reason).toMatch(/^unreachable: /);

    const server = await startServer({}, port);
    await email.submit(message);
    expect(server.received).toHaveLength(1);
  });

  it('upgrades with STARTTLS to a self-signed server only when allowSelfSigned is set', async () => {
    const server = await startServer({ disabledCommands: [] });

    const strict = await submitError(channel(server.port, { requireStartTls: true }).submit(message));
    expect(strict.permanent).toBe(false);
    expect(server.received).toHaveLength(0);

    await channel(server.port, { requireStartTls: true, allowSelfSigned: true }).submit(message);
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.secure).toBe(true);
  });

  it('refuses to send without TLS when STARTTLS is required and the server does not offer it', async () => {
    const server = await startServer();
    const error = await submitError(channel(server.port, { requireStartTls: true }).submit(message));

    expect(error.reason).toBe('refused: 500');
    expect(error.permanent).toBe(false);
    expect(server.received).toHaveLength(0);
  });

  it('reports an address it cannot put in the envelope as a permanent ChannelError', async () => {
    const server = await startServer();
    const error = await submitError(channel(server.port).submit({ ...message, to: 'not an address' }));

    expect(error.reason).toBe('invalid address');
    expect(error.permanent).toBe(true);
  });

  it('holds to ratePerSecond: with 2 a second, the third message arrives at least a second after the sends began', async () => {
    const server = await startServer();
    const email = channel(server.port, { ratePerSecond: 2, maxConnections: 1 });
    const began = Date.now();
    await Promise.all([1, 2, 3].map((messageId) => email.submit({ ...message, messageId })));

    expect(server.received).toHaveLength(3);
    expect(server.received[1]!.at - began).toBeLessThan(1000);
    expect(server.received[2]!.at - began).toBeGreaterThanOrEqual(1000);
  });

  it('close waits for the message in flight, then refuses new ones', async () => {
    const server = await startServer();
    const email = channel(server.port);
    const sending = email.submit(message);
    await email.close();

    await expect(sending).resolves.toMatchObject({ parts: 1 });
    expect(server.received).toHaveLength(1);
    const error = await submitError(email.submit(message));
    expect(error.reason).toBe('closed');
  });
});
