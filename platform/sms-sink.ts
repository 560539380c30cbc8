import type { AddressInfo } from 'node:net';
import { decodeSms, splitUserDataHeader, udhIndicator } from '../engine/messaging/sms-encoding';
import {
  answerSessionPdu,
  createSmppServer,
  onPdu,
  smppPdu,
  smppStatus,
  type Pdu,
  type SmppSession,
} from './smpp-wire';

/** One SMS as the sink received it, its parts joined. */
export interface SinkMessage {
  /** source_addr as submitted: a name or digits. */
  sender: string;
  /** `+` and the destination digits. */
  destination: string;
  text: string;
  parts: number;
  /** The message_id the sink answered each part with, in part order. */
  messageIds: string[];
}

export interface SmsSinkOptions {
  port?: number;
  host?: string;
  /** After how long each part's delivery receipt goes back; null: no receipts. */
  receiptDelayMs?: number | null;
  /** A throw or rejection answers the last part with ESME_RSYSERR. */
  onMessage?: (message: SinkMessage) => void | Promise<void>;
}

export interface SmsSinkStats {
  binds: number;
  /** submit_sm PDUs answered. */
  parts: number;
  /** Whole messages handed to onMessage. */
  messages: number;
  receipts: number;
}

export interface SmsSink {
  port: number;
  stats: SmsSinkStats;
  close(): Promise<void>;
}

interface PartialMessage {
  total: number;
  bodies: (Buffer | undefined)[];
  messageIds: (string | undefined)[];
  received: number;
}

/** Incomplete concatenated messages kept at once; the oldest is dropped past this. */
const maxPartial = 10_000;
const sinkSystemId = 'loyalflow-sink';

/** YYMMDDhhmm, the receipt text's date form. */
function receiptDate(at: Date): string {
  return at.toISOString().slice(2, 16).replace(/[-T:]/g, '');
}

/**
 * A local SMSC for development, tests and the benchmark: accepts any bind, answers every submit_sm
 * with the next message id, joins concatenated parts by (source, destination, reference), hands
 * each whole message to `onMessage` and sends a DELIVRD receipt for each part that asked for one.
 */
export async function startSmsSink(options: SmsSinkOptions = {}): Promise<SmsSink> {
  const receiptDelayMs = options.receiptDelayMs === undefined ? 50 : options.receiptDelayMs;
  const stats: SmsSinkStats = { binds: 0, parts: 0, messages: 0, receipts: 0 };
  const partial = new Map<string, PartialMessage>();
  const receiptTimers = new Set<NodeJS.Timeout>();
  let nextMessageId = 1;

  function sendReceipt(session: SmppSession, submit: Pdu, messageId: string): void {
    const timer = setTimeout(() => {
      receiptTimers.delete(timer);
      const now = receiptDate(new Date());
      const text = `id:${messageId} sub:001 dlvrd:001 submit date:${now} done date:${now} stat:DELIVRD err:000 text:`;
      const receipt = smppPdu('deliver_sm', {
        source_addr_ton: submit.dest_addr_ton,
        source_addr_npi: submit.dest_addr_npi,
        source_addr: submit.destination_addr,
        dest_addr_ton: submit.source_addr_ton,
        dest_addr_npi: submit.source_addr_npi,
        destination_addr: submit.source_addr,
        esm_class: 0x04,
        data_coding: 0,
        short_message: Buffer.from(text, 'latin1'),
        receipted_message_id: messageId,
        message_state: 2,
      });
      // The ESME may be gone; its receipt goes with it, as at a real SMSC session end.
      if (session.send(receipt)) stats.receipts++;
    }, receiptDelayMs ?? 0);
    receiptTimers.add(timer);
  }

  /** The whole message once this part completes it, else null. */
  function join(submit: Pdu, octets: Buffer, messageId: string): SinkMessage | null {
    const dataCoding = submit.data_coding ?? 0;
    const sender = submit.source_addr ?? '';
    const destination = `+${(submit.destination_addr ?? '').replace(/^\+/, '')}`;
    const { concatenation, body } =
      (submit.esm_class ?? 0) & udhIndicator
        ? splitUserDataHeader(octets)
        : { concatenation: null, body: octets };
    if (!concatenation || concatenation.total <= 1) {
      return { sender, destination, text: decodeSms(body, dataCoding), parts: 1, messageIds: [messageId] };
    }
    const key = `${sender}\u0000${destination}\u0000${concatenation.reference}\u0000${concatenation.total}`;
    let message = partial.get(key);
    if (!message) {
      message = { total: concatenation.total, bodies: [], messageIds: [], received: 0 };
      partial.set(key, message);
      if (partial.size > maxPartial) partial.delete(partial.keys().next().value!);
    }
    const index = concatenation.sequence - 1;
    if (index < 0 || index >= message.total) return null;
    if (message.bodies[index] === undefined) message.received++;
    message.bodies[index] = body;
    message.messageIds[index] = messageId;
    if (message.received < message.total) return null;
    partial.delete(key);
    return {
      sender,
      destination,
      text: decodeSms(Buffer.concat(message.bodies as Buffer[]), dataCoding),
      parts: message.total,
      messageIds: message.messageIds as string[],
    };
  }

  async function submitted(session: SmppSession, submit: Pdu, octets: Buffer | null): Promise<void> {
    const messageId = String(nextMessageId++);
    const message = join(submit, octets ?? Buffer.alloc(0), messageId);
    let status: number = smppStatus.ok;
    if (message) {
      try {
        await options.onMessage?.(message);
        stats.messages++;
      } catch {
        status = smppStatus.systemError;
      }
    }
    session.send(
      submit.response(status === smppStatus.ok ? { message_id: messageId } : { command_status: status }),
    );
    stats.parts++;
    const wantsReceipt = ((submit.registered_delivery ?? 0) & 0x01) === 0x01;
    if (status === smppStatus.ok && receiptDelayMs !== null && wantsReceipt)
      sendReceipt(session, submit, messageId);
  }

  const server = createSmppServer((session) => {
    // A client that vanishes mid-write is its own problem; the server carries on.
    session.on('error', () => session.destroy());
    onPdu(session, (pdu, octets) => {
      switch (pdu.command) {
        case 'bind_transceiver':
        case 'bind_transmitter':
        case 'bind_receiver':
          stats.binds++;
          session.send(pdu.response({ system_id: sinkSystemId }));
          return;
        case 'submit_sm':
          void submitted(session, pdu, octets);
          return;
        default:
          answerSessionPdu(session, pdu);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of receiptTimers) clearTimeout(timer);
        receiptTimers.clear();
        server.close(() => resolve());
        for (const session of [...server.sessions]) session.destroy();
      }),
  };
}
