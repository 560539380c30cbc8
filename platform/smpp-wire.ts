import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Server, Socket } from 'node:net';

/**
 * The `smpp` package (0.5.1, CommonJS, untyped) behind the few types Loyalflow uses, and the one
 * thing it does not give: the message octets of a received submit_sm or deliver_sm as they came.
 * The package decodes short_message itself on reading (data_coding 1 as GSM, unknown octets as
 * spaces), which the SMS decoder must not inherit.
 */

/** Fields Loyalflow sets on the PDUs it sends; the package gives every other field its default. */
export interface PduFields {
  command_status?: number;
  /** Set only to answer a request with a PDU other than its own response (generic_nack). */
  sequence_number?: number;
  system_id?: string;
  password?: string;
  system_type?: string;
  /** The package binds as SMPP 5.0 (0x50) unless told. */
  interface_version?: number;
  source_addr_ton?: number;
  source_addr_npi?: number;
  source_addr?: string;
  dest_addr_ton?: number;
  dest_addr_npi?: number;
  destination_addr?: string;
  esm_class?: number;
  registered_delivery?: number;
  /** Unset, the package picks one from the text (IA5 for GSM-looking text): always set it. */
  data_coding?: number;
  /** A Buffer goes out as it is; a string would be re-encoded by the package. */
  short_message?: Buffer;
  message_id?: string;
  receipted_message_id?: string;
  message_state?: number;
}

/** A PDU as read: short_message is left out (see `onPdu` for its octets). */
export interface Pdu extends Omit<PduFields, 'short_message'> {
  readonly command: string;
  readonly command_status: number;
  readonly sequence_number: number;
  isResponse(): boolean;
  response(fields?: PduFields): Pdu;
}

export interface SmppSession extends EventEmitter {
  readonly socket: Socket;
  /** False when the socket is no longer writable; `onResponse` then never runs. */
  send(pdu: Pdu, onResponse?: (response: Pdu) => void): boolean;
  close(callback?: () => void): void;
  destroy(callback?: () => void): void;
}

export interface SmppServer extends Server {
  readonly sessions: SmppSession[];
}

interface SmppModule {
  PDU: new (command: string, fields?: PduFields) => Pdu;
  connect(options: { host: string; port: number }): SmppSession;
  createServer(listener: (session: SmppSession) => void): SmppServer;
  errors: Record<string, number>;
}

const smpp = createRequire(import.meta.url)('smpp') as SmppModule;

export function smppPdu(command: string, fields: PduFields = {}): Pdu {
  return new smpp.PDU(command, fields);
}

/**
 * Opens a TCP connection; the session emits `connect`, then `pdu` for each PDU read, `error` and
 * `close`. Both ends turn Nagle off: an SMPP exchange is small PDUs each waiting for an answer, and
 * a response or receipt held back until the previous segment's (delayed) acknowledgement costs a
 * round trip per PDU.
 */
export function connectSmpp(options: { host: string; port: number }): SmppSession {
  const session = smpp.connect({ host: options.host, port: options.port });
  session.socket.setNoDelay(true);
  return session;
}

export function createSmppServer(onSession: (session: SmppSession) => void): SmppServer {
  return smpp.createServer((session) => {
    session.socket.setNoDelay(true);
    onSession(session);
  });
}

/** The ESME_* name of a command_status, for messages. */
export function smppStatusName(status: number): string {
  for (const [name, value] of Object.entries(smpp.errors)) if (value === status) return name;
  return `0x${status.toString(16).padStart(4, '0')}`;
}

export const smppStatus = {
  ok: 0x00,
  invalidCommand: 0x03,
  systemError: 0x08,
  invalidDestination: 0x0b,
  queueFull: 0x14,
  throttled: 0x58,
  temporaryAppError: 0x64,
} as const;

/** Steps over a NUL-terminated field; -1 when the body ends first. */
function afterCString(body: Buffer, at: number): number {
  const end = body.indexOf(0, at);
  return end < 0 ? -1 : end + 1;
}

/**
 * short_message of a submit_sm or deliver_sm body (the PDU after command_length), or the
 * message_payload TLV when short_message is empty; null when the body is shorter than its fields.
 */
function messageOctets(body: Buffer): Buffer | null {
  let at = afterCString(body, 12); // command_id, command_status, sequence_number; service_type
  if (at < 0) return null;
  at = afterCString(body, at + 2); // source_addr_ton, source_addr_npi; source_addr
  if (at < 0) return null;
  at = afterCString(body, at + 2); // dest_addr_ton, dest_addr_npi; destination_addr
  if (at < 0) return null;
  at = afterCString(body, at + 3); // esm_class, protocol_id, priority_flag; schedule_delivery_time
  if (at < 0) return null;
  at = afterCString(body, at); // validity_period
  if (at < 0) return null;
  at += 4; // registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
  const length = body[at];
  if (length === undefined || at + 1 + length > body.length) return null;
  const shortMessage = body.subarray(at + 1, at + 1 + length);
  at += 1 + length;
  if (length > 0) return shortMessage;
  while (at + 4 <= body.length) {
    const tag = body.readUInt16BE(at);
    const tlvLength = body.readUInt16BE(at + 2);
    if (tag === 0x0424) return body.subarray(at + 4, at + 4 + tlvLength);
    at += 4 + tlvLength;
  }
  return shortMessage;
}

/**
 * Calls `listener` with every PDU the session reads and, for submit_sm and deliver_sm, the message
 * octets as they came (user data header included). The package reads each PDU with two `read()`
 * calls (command_length, then the rest) and emits `pdu` right after the second; a `data` listener
 * sees each chunk `read()` returns without switching the socket to flowing mode, so the last chunk
 * before `pdu` is that PDU's body.
 */
export function onPdu(session: SmppSession, listener: (pdu: Pdu, message: Buffer | null) => void): void {
  let lastChunk: Buffer | null = null;
  session.socket.on('data', (chunk: Buffer) => {
    lastChunk = chunk;
  });
  session.on('pdu', (pdu: Pdu) => {
    const body = lastChunk;
    lastChunk = null;
    const carriesMessage = pdu.command === 'submit_sm' || pdu.command === 'deliver_sm';
    const matches = body !== null && body.length >= 12 && body.readUInt32BE(8) === pdu.sequence_number;
    listener(pdu, carriesMessage && matches ? messageOctets(body) : null);
  });
}

/**
 * What every SMPP peer answers the same way, client or server: an enquire_link, an unbind (then the
 * session closes), and a generic_nack to any other request it does not handle. Responses are left alone.
 */
export function answerSessionPdu(session: SmppSession, pdu: Pdu): void {
  switch (pdu.command) {
    case 'enquire_link':
      session.send(pdu.response());
      return;
    case 'unbind':
      session.send(pdu.response());
      session.close();
      return;
    default:
      if (!pdu.isResponse()) {
        const nack = { command_status: smppStatus.invalidCommand, sequence_number: pdu.sequence_number };
        session.send(smppPdu('generic_nack', nack));
      }
  }
}
