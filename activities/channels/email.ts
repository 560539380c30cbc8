import { randomBytes } from 'node:crypto';
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { ChannelError, type Channel, type OutgoingMessage, type SubmitResult } from './channel';

/**
 * One SMTP relay of one program: the provider's settings (engine/messaging/providers.ts) with its
 * credentials spread in. Left-out numbers take the defaults below.
 */
export interface EmailChannelOptions {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465). */
  secure?: boolean;
  /**
   * Without implicit TLS, refuse to send unless the server upgrades with STARTTLS. Otherwise STARTTLS
   * is used when offered, and a server that does not offer it gets the message in clear text.
   */
  requireStartTls?: boolean;
  user?: string;
  password?: string;
  from: { address: string; name?: string };
  replyTo?: string;
  /** Connections kept open to the relay (default 2). */
  maxConnections?: number;
  /** Messages a second over all connections (default 20). */
  ratePerSecond?: number;
  /** Connecting and waiting for the greeting (default 10 s). */
  connectionTimeoutMs?: number;
  /** Accept a certificate no authority signed: only for a relay on the local network or in tests. */
  allowSelfSigned?: boolean;
}

/** What nodemailer attaches to the errors it reports (smtp-connection's `_formatError`). */
interface SmtpFailure {
  code?: string;
  responseCode?: number;
  command?: string;
}

/**
 * Sorts an SMTP failure. A 5xx answer to the envelope (MAIL FROM, RCPT TO) or the data is the server's
 * bounce: the same message will never be taken. A failed login, or a 5xx to the session itself (EHLO,
 * STARTTLS), is the relay's settings, not the message, so it stays transient: the message can go once
 * they are fixed. 4xx answers, refused connections, timeouts and TLS failures may pass later. Reasons
 * and messages carry codes only, never the server's text, which may echo what the client sent.
 */
function channelErrorOf(error: unknown): ChannelError {
  const failure = (error ?? {}) as SmtpFailure;
  const code = failure.responseCode;
  const where = failure.command ? ` at ${failure.command}` : '';
  const aboutMessage = failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE';
  if (failure.code === 'EAUTH') return new ChannelError(`auth failed${code ? `: ${code}` : ''}`, false);
  if (code !== undefined && code >= 500 && aboutMessage) {
    return new ChannelError(`rejected: ${code}`, true, `rejected: ${code}${where}`);
  }
  // nodemailer refuses an address it cannot put in the envelope before talking to the server.
  if (failure.code === 'EENVELOPE' && code === undefined) return new ChannelError('invalid address', true);
  if (code !== undefined && code >= 500)
    return new ChannelError(`refused: ${code}`, false, `refused: ${code}${where}`);
  if (code !== undefined && code >= 400)
    return new ChannelError(`deferred: ${code}`, false, `deferred: ${code}${where}`);
  // The connection dropped or timed out while the message itself was on the wire: it may have been taken.
  const duringData = failure.command === 'DATA' || failure.command === 'message';
  return new ChannelError(`unreachable: ${failure.code ?? 'error'}`, false, undefined, duringData);
}

/** E-mail over one pooled SMTP relay: a few kept-open connections, at most `ratePerSecond` messages a second. */
export class EmailChannel implements Channel {
  readonly kind = 'email' as const;
  private readonly from: EmailChannelOptions['from'];
  private readonly replyTo: string | undefined;
  private readonly transport: Transporter<SMTPPool.SentMessageInfo, SMTPPool.Options>;
  private readonly domain: string;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(relay: EmailChannelOptions) {
    this.from = relay.from;
    this.replyTo = relay.replyTo;
    const connectionTimeoutMs = relay.connectionTimeoutMs ?? 10_000;
    this.domain = relay.from.address.slice(relay.from.address.lastIndexOf('@') + 1);
    // `maxRequeues` is read by the pool (smtp-pool/index.js) but missing from @types/nodemailer.
    const options: SMTPPool.Options & { maxRequeues: number } = {
      pool: true,
      host: relay.host,
      port: relay.port,
      secure: relay.secure ?? false,
      requireTLS: !relay.secure && (relay.requireStartTls ?? false),
      auth: relay.user !== undefined ? { user: relay.user, pass: relay.password ?? '' } : undefined,
      tls: { rejectUnauthorized: !relay.allowSelfSigned },
      maxConnections: relay.maxConnections ?? 2,
      rateLimit: relay.ratePerSecond ?? 20,
      rateDelta: 1000,
      connectionTimeout: connectionTimeoutMs,
      greetingTimeout: connectionTimeoutMs,
      // A send that hears nothing for a minute is given up as transient instead of hanging for the
      // library's ten minutes.
      socketTimeout: Math.max(60_000, connectionTimeoutMs),
      // A connection that drops mid-send fails that send (transient) instead of silently sending it
      // again on the next connection: the caller decides about retries and knows what it recorded.
      maxRequeues: 0,
      // Messages are rendered strings; nothing may make the library read a file or a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    this.transport = createTransport(options);
  }

  async submit(message: OutgoingMessage): Promise<SubmitResult> {
    if (this.closed) throw new ChannelError('closed', false);
    const messageIdHeader = `<m${message.messageId}.${randomBytes(8).toString('hex')}@${this.domain}>`;
    const sending = this.transport.sendMail({
      from: this.from.name ? { name: this.from.name, address: this.from.address } : this.from.address,
      to: message.to,
      replyTo: this.replyTo,
      subject: message.subject ?? '',
      text: message.text,
      // With both, nodemailer builds multipart/alternative (text first, so clients prefer the HTML).
      html: message.html,
      headers: message.headers,
      messageId: messageIdHeader,
    });
    this.inFlight.add(sending);
    try {
      await sending;
    } catch (error) {
      throw channelErrorOf(error);
    } finally {
      this.inFlight.delete(sending);
    }
    return { providerMessageId: messageIdHeader, parts: 1 };
  }

  /** Refuses new messages, lets the queued and in-flight ones finish, then closes the pool's connections. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.transport.close();
  }
}
