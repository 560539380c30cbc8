import { fileURLToPath } from 'node:url';
import { encodeSms } from '../engine/messaging/sms-encoding';
import { startSmsSink } from '../platform/sms-sink';
import { connectSmpp, onPdu, smppPdu, type SmppSession } from '../platform/smpp-wire';

export interface BareSubmitOptions {
  port: number;
  host?: string;
  systemId: string;
  password: string;
  messages: number;
  /** submit_sm unanswered at once. */
  window: number;
}

/**
 * The SMPP yardstick: one transceiver bind, one-part GSM submit_sm with receipts requested, `window`
 * unanswered at once and deliver_sm answered, no encoding, logging or database per message.
 * The whole-path figure is read against this.
 */
export async function bareSubmitLoop(
  options: BareSubmitOptions,
): Promise<{ messages: number; seconds: number; perSecond: number }> {
  const session = connectSmpp({ host: options.host ?? '127.0.0.1', port: options.port });
  await new Promise((resolve, reject) => {
    session.once('connect', resolve);
    session.once('error', reject);
  });
  onPdu(session, (pdu) => {
    if (pdu.command === 'deliver_sm') session.send(pdu.response());
  });
  try {
    await request(session, 'bind_transceiver', {
      system_id: options.systemId,
      password: options.password,
      interface_version: 0x34,
    });
    const shortMessage = encodeSms('Your code is 123456. Do not tell anyone.', 0).parts[0]!;
    const started = performance.now();
    let sent = 0;
    const sender = async () => {
      while (sent < options.messages) {
        sent++;
        const response = await request(session, 'submit_sm', {
          source_addr: 'Bench',
          source_addr_ton: 5,
          dest_addr_ton: 1,
          dest_addr_npi: 1,
          destination_addr: String(79_000_000_000 + sent),
          registered_delivery: 1,
          data_coding: 0,
          short_message: shortMessage,
        });
        if (response.command_status !== 0) throw new Error(`submit_sm refused: ${response.command_status}`);
      }
    };
    await Promise.all(Array.from({ length: options.window }, sender));
    const seconds = (performance.now() - started) / 1000;
    return { messages: options.messages, seconds, perSecond: options.messages / seconds };
  } finally {
    await new Promise<void>((resolve) => session.destroy(() => resolve()));
  }
}

function request(
  session: SmppSession,
  command: string,
  fields: Parameters<typeof smppPdu>[1],
): Promise<{ command_status: number }> {
  return new Promise((resolve, reject) => {
    if (!session.send(smppPdu(command, fields), resolve)) reject(new Error('the SMPP connection closed'));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sink = await startSmsSink({ receiptDelayMs: 0 });
  try {
    for (const window of [1, 10, 50]) {
      const result = await bareSubmitLoop({
        port: sink.port,
        systemId: 'bench',
        password: 'bench',
        messages: 20_000,
        window,
      });
      console.log(
        `bare submit_sm loop, window ${window}: ${result.messages} messages in ${result.seconds.toFixed(2)} s, ` +
          `${result.perSecond.toFixed(0)}/s`,
      );
    }
  } finally {
    await sink.close();
  }
}
