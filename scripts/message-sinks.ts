import type { DB } from '../db/database';
import { recordSinkMessage } from '../db/messaging/sink';
import type { Logger } from '../platform/logger';
import { startMailCatcher } from '../platform/mail-catcher';
import { startSmsSink } from '../platform/sms-sink';

/**
 * The local SMSC and mail catcher of `npm start`: programs without providers of their own deliver SMS
 * and e-mail here over real SMPP and SMTP, and the web app's "sent messages" page shows what arrived —
 * a new user sees their one-time code and activation link without reading logs.
 */
export async function startMessageSinks(db: DB, log: Logger, ports: { sms: number; mail: number }) {
  const sms = await startSmsSink({
    host: '127.0.0.1',
    port: ports.sms,
    receiptDelayMs: 500,
    onMessage: (message) =>
      recordSinkMessage(db, {
        channel: 'sms',
        sender: message.sender,
        destination: message.destination,
        subject: null,
        text: message.text,
        html: null,
        headers: {},
      }),
  });
  const mail = await startMailCatcher({
    host: '127.0.0.1',
    port: ports.mail,
    onMessage: async (message) => {
      for (const recipient of message.recipients) {
        await recordSinkMessage(db, {
          channel: 'email',
          sender: message.sender,
          destination: recipient,
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: message.headers,
        });
      }
    },
  });
  log.info({ smsPort: sms.port, mailPort: mail.port }, 'local SMS sink and mail catcher listening');
  return {
    smsSink: `127.0.0.1:${sms.port}`,
    mailSink: `127.0.0.1:${mail.port}`,
    async stop() {
      await Promise.allSettled([sms.close(), mail.close()]);
    },
  };
}
