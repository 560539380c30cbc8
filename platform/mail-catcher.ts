import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type HeaderLines } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the catcher took it. */
export interface CaughtMail {
  /** The envelope sender (MAIL FROM); empty for a null sender. */
  sender: string;
  /** The envelope recipients (RCPT TO), Bcc included. */
  recipients: string[];
  subject: string;
  text: string;
  html: string | null;
  /**
   * Header values by lower-case name, unfolded, the first of a repeated header. `from`, `to` and
   * `subject` are decoded (`"Анна" <anna@example.org>`); the others are as sent (`message-id`,
   * `list-unsubscribe`, `list-unsubscribe-post`, …).
   */
  headers: Record<string, string>;
}

export interface MailCatcherOptions {
  port?: number;
  host?: string;
  /** A throw or rejection answers the message with 451, so the sender keeps it and tries again. */
  onMessage: (mail: CaughtMail) => void | Promise<void>;
}

export interface MailCatcher {
  port: number;
  close(): Promise<void>;
}

const maxMessageBytes = 10 * 1024 * 1024;

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

function addressText(address: AddressObject | AddressObject[] | undefined): string | undefined {
  if (address === undefined) return undefined;
  return (Array.isArray(address) ? address : [address]).map((part) => part.text).join(', ');
}

function headerRecord(lines: HeaderLines): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { key, line } of lines) {
    if (key in headers) continue;
    // A folded line continues after a line break and white space; unfolding drops the break (RFC 5322 §2.2.3).
    headers[key] = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n/g, '')
      .trim();
  }
  return headers;
}

/**
 * A local SMTP server for development and tests: no TLS, any login or none, messages up to 10 MB.
 * Each message is parsed and handed to `onMessage`; the sender hears 250 only once that returned.
 */
export async function startMailCatcher(options: MailCatcherOptions): Promise<MailCatcher> {
  const server = new SMTPServer({
    logger: false,
    // Plain text only: a catcher has no certificate worth offering, and smtp-server's built-in one is public.
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    size: maxMessageBytes,
    rejectOversized: true,
    // Senders keep pooled connections open; closing waits this long for them before dropping them.
    closeTimeout: 1000,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, callback) {
      // The HTML as sent (cid: images not inlined), and no HTML made from the text, which nobody reads.
      simpleParser(stream, { skipImageLinks: true, skipTextToHtml: true }).then(
        async (parsed) => {
          // rejectOversized answers 552 whatever this callback says; the message is not handed on.
          if (stream.sizeExceeded) return callback();
          const headers = headerRecord(parsed.headerLines);
          const from = addressText(parsed.from);
          const to = addressText(parsed.to);
          if (from !== undefined) headers.from = from;
          if (to !== undefined) headers.to = to;
          if (parsed.subject !== undefined) headers.subject = parsed.subject;
          try {
            await options.onMessage({
              sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              recipients: session.envelope.rcptTo.map((recipient) => recipient.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : null,
              headers,
            });
          } catch {
            return callback(smtpError(451, 'Temporary failure, try again later'));
          }
          callback();
        },
        () => callback(smtpError(554, 'The message could not be parsed')),
      );
    },
  });
  // A sender's connection failing (reset, timed out) is reported here; it is the sender's to retry, and
  // an 'error' event without a listener would end the process.
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
