import { afterEach, describe, expect, it } from 'vitest';
import { encodeSms } from '../engine/messaging/sms-encoding';
import { startSmsSink, type SinkMessage, type SmsSink } from './sms-sink';
import { connectSmpp, onPdu, smppPdu, type Pdu, type PduFields, type SmppSession } from './smpp-wire';

const opened: { sink: SmsSink; sessions: SmppSession[] }[] = [];
afterEach(async () => {
  for (const { sink, sessions } of opened.splice(0)) {
    for (const session of sessions) session.destroy();
    await sink.close();
  }
});

/** A bare ESME session bound with `bind`, recording the deliver_sm it gets (answered) with their octets. */
async function bound(sink: SmsSink, bind: string) {
  const session = connectSmpp({ host: '127.0.0.1', port: sink.port });
  opened.at(-1)!.sessions.push(session);
  const delivered: { pdu: Pdu; octets: Buffer | null }[] = [];
  onPdu(session, (pdu, octets) => {
    if (pdu.command !== 'deliver_sm') return;
    delivered.push({ pdu, octets });
    session.send(pdu.response());
  });
  await new Promise((resolve) => session.on('connect', resolve));
  const response = await request(session, bind, { system_id: 'any', password: 'any' });
  return { session, delivered, bindStatus: response.command_status };
}

function request(session: SmppSession, command: string, fields: PduFields): Promise<Pdu> {
  return new Promise((resolve) => session.send(smppPdu(command, fields), resolve));
}

async function sink(options: Parameters<typeof startSmsSink>[0] = {}) {
  const started = await startSmsSink(options);
  opened.push({ sink: started, sessions: [] });
  return started;
}

describe('SMS sink', () => {
  it('accepts any transmitter, receiver or transceiver bind', async () => {
    const smsc = await sink();
    for (const bind of ['bind_transmitter', 'bind_receiver', 'bind_transceiver']) {
      expect((await bound(smsc, bind)).bindStatus).toBe(0);
    }
    expect(smsc.stats.binds).toBe(3);
  });

  it('joins concatenated parts into one message and sends a DELIVRD receipt per part', async () => {
    const messages: SinkMessage[] = [];
    const smsc = await sink({ receiptDelayMs: 10, onMessage: (message) => void messages.push(message) });
    const { session, delivered } = await bound(smsc, 'bind_transceiver');
    const text = 'Ваш код 1234. '.repeat(6);
    const sms = encodeSms(text, 42);
    const ids: string[] = [];
    // Parts out of order: the sink orders them by sequence.
    for (const part of [sms.parts[1]!, sms.parts[0]!]) {
      const response = await request(session, 'submit_sm', {
        source_addr: 'Shop',
        destination_addr: '79161234567',
        esm_class: sms.esmClass,
        data_coding: sms.dataCoding,
        registered_delivery: 1,
        short_message: part,
      });
      ids.push(response.message_id!);
    }
    expect(ids).toEqual(['1', '2']);
    expect(messages).toEqual([
      { sender: 'Shop', destination: '+79161234567', text, parts: 2, messageIds: ['2', '1'] },
    ]);

    await new Promise<void>((resolve) => {
      const wait = () => (delivered.length === 2 ? resolve() : setTimeout(wait, 5));
      wait();
    });
    expect(delivered.map(({ pdu }) => [pdu.esm_class, pdu.receipted_message_id, pdu.message_state])).toEqual([
      [0x04, '1', 2],
      [0x04, '2', 2],
    ]);
    expect(delivered[0]!.pdu).toMatchObject({ source_addr: '79161234567', destination_addr: 'Shop' });
    expect(delivered[0]!.octets!.toString('latin1')).toMatch(
      /^id:1 sub:001 dlvrd:001 .*stat:DELIVRD err:000/,
    );
    expect(smsc.stats).toEqual({ binds: 1, parts: 2, messages: 1, receipts: 2 });
  });

  it('sends no receipts when receiptDelayMs is null, and answers ESME_RSYSERR when onMessage throws', async () => {
    const smsc = await sink({
      receiptDelayMs: null,
      onMessage: () => {
        throw new Error('full');
      },
    });
    const { session, delivered } = await bound(smsc, 'bind_transceiver');
    const sms = encodeSms('hello', 1);
    const fields = {
      destination_addr: '1',
      data_coding: 0,
      registered_delivery: 1,
      short_message: sms.parts[0],
    };
    expect((await request(session, 'submit_sm', fields)).command_status).toBe(0x08);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(delivered).toHaveLength(0);
  });
});
