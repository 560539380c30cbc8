import { connect } from 'node:net';
import { createTransport } from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { startMailCatcher, type CaughtMail, type MailCatcher } from './mail-catcher';

const catchers: MailCatcher[] = [];

afterEach(async () => {
  for (const catcher of catchers.splice(0)) await catcher.close();
});

async function catcher(onMessage: (mail: CaughtMail) => void | Promise<void>): Promise<MailCatcher> {
  const started = await startMailCatcher({ onMessage });
  catchers.push(started);
  return started;
}

/** One message over a fresh (not pooled) SMTP connection; closing it leaves the catcher nothing to wait for. */
function sender(port: number, auth?: { user: string; pass: string }) {
  return createTransport({ host: '127.0.0.1', port, secure: false, auth });
}

describe('startMailCatcher', () => {
  it('hands on the envelope, the decoded subject, From and To, the text and HTML, and the headers that matter', async () => {
    const caught: CaughtMail[] = [];
    const { port } = await catcher((mail) => {
      caught.push(mail);
    });
    await sender(port, { user: 'any', pass: 'thing' }).sendMail({
      from: { name: 'Кофейня', address: 'news@shop.test' },
      to: 'anna@example.org',
      bcc: 'audit@shop.test',
      subject: 'Скидка 20%',
      text: 'Hello Anna',
      html: '<p>Hello <b>Anna</b></p>',
      messageId: '<m1.abc@shop.test>',
      headers: {
        'List-Unsubscribe': '<https://shop.test/m/u/LONG-TOKEN-0123456789>, <mailto:unsubscribe@shop.test>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });

    expect(caught).toHaveLength(1);
    const mail = caught[0]!;
    expect(mail.sender).toBe('news@shop.test');
    expect(mail.recipients).toEqual(['anna@example.org', 'audit@shop.test']);
    expect(mail.subject).toBe('Скидка 20%');
    expect(mail.text.trim()).toBe('Hello Anna');
    expect(mail.html).toBe('<p>Hello <b>Anna</b></p>');
    expect(mail.headers).toMatchObject({
      from: '"Кофейня" <news@shop.test>',
      to: 'anna@example.org',
      subject: 'Скидка 20%',
      'message-id': '<m1.abc@shop.test>',
      'list-unsubscribe': '<https://shop.test/m/u/LONG-TOKEN-0123456789>, <mailto:unsubscribe@shop.test>',
      'list-unsubscribe-post': 'List-Unsubscribe=One-Click',
    });
    expect(mail.headers.bcc).toBeUndefined();
  });

  it('gives html null for a text-only message and takes it without a login', async () => {
    const caught: CaughtMail[] = [];
    const { port } = await catcher((mail) => {
      caught.push(mail);
    });
    await sender(port).sendMail({ from: 'a@shop.test', to: 'b@example.org', subject: 'Code', text: '1234' });

    expect(caught).toHaveLength(1);
    expect(caught[0]!.html).toBeNull();
    expect(caught[0]!.text.trim()).toBe('1234');
  });

  it('answers 451 when onMessage throws, and takes the same message when the sender tries again', async () => {
    let calls = 0;
    const { port } = await catcher(async () => {
      calls += 1;
      if (calls === 1) throw new Error('store is down');
    });
    const mail = { from: 'a@shop.test', to: 'b@example.org', subject: 'Hi', text: 'Hi' };

    await expect(sender(port).sendMail(mail)).rejects.toMatchObject({ responseCode: 451 });
    await expect(sender(port).sendMail(mail)).resolves.toMatchObject({ accepted: ['b@example.org'] });
    expect(calls).toBe(2);
  });

  it('refuses a message over 10 MB with 552 without handing it on', async () => {
    let calls = 0;
    const { port } = await catcher(() => {
      calls += 1;
    });
    const text = 'x'.repeat(76).concat('\n').repeat(137_000); // about 10.5 MB

    await expect(
      sender(port).sendMail({ from: 'a@shop.test', to: 'b@example.org', subject: 'Big', text }),
    ).rejects.toMatchObject({ responseCode: 552 });
    expect(calls).toBe(0);
  });

  it('stops listening once closed', async () => {
    const started = await startMailCatcher({ onMessage: () => {} });
    await started.close();

    const refused = await new Promise<string>((resolve) => {
      const socket = connect(started.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
