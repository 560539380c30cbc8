import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSms, splitUserDataHeader } from '../../engine/messaging/sms-encoding';
import { freePort } from '../../platform/free-port';
import {
  createSmppServer,
  onPdu,
  smppPdu,
  type Pdu,
  type PduFields,
  type SmppServer,
  type SmppSession,
} from '../../platform/smpp-wire';
import { ChannelError, type InboundEvent } from './channel';
import { SmppChannel, type SmppSettingsInput } from './smpp';

interface Received {
  pdu: Pdu;
  octets: Buffer | null;
  session: SmppSession;
  at: number;
}

/**
 * A scripted SMSC: answers binds, enquire_link and unbind, and submit_sm through `onSubmit`
 * (by default at once with message ids m1, m2, …); records every PDU it reads.
 */
async function startSmsc() {
  const received: Received[] = [];
  let nextId = 1;
  const smsc = {
    received,
    server: null as unknown as SmppServer,
    port: 0,
    answerEnquireLink: true,
    onSubmit: (submit: Pdu, answer: (fields?: PduFields) => void) => answer(),
    answer(session: SmppSession, submit: Pdu, fields: PduFields = {}) {
      session.send(
        submit.response(fields.command_status ? fields : { message_id: `m${nextId++}`, ...fields }),
      );
    },
    commands: (command: string) => received.filter((r) => r.pdu.command === command),
  };
  smsc.server = createSmppServer((session) => {
    session.on('error', () => session.destroy());
    onPdu(session, (pdu, octets) => {
      received.push({ pdu, octets, session, at: performance.now() });
      if (pdu.command === 'bind_transceiver') session.send(pdu.response({ system_id: 'test-smsc' }));
      if (pdu.command === 'enquire_link' && smsc.answerEnquireLink) session.send(pdu.response());
      if (pdu.command === 'unbind') session.send(pdu.response());
      if (pdu.command === 'submit_sm') smsc.onSubmit(pdu, (fields) => smsc.answer(session, pdu, fields));
    });
  });
  await new Promise<void>((resolve) => smsc.server.listen(0, '127.0.0.1', resolve));
  smsc.port = (smsc.server.address() as AddressInfo).port;
  return smsc;
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(settings: Partial<SmppSettingsInput> = {}) {
  const smsc = await startSmsc();
  const events: InboundEvent[] = [];
  const channel = new SmppChannel(
    {
      host: '127.0.0.1',
      port: smsc.port,
      systemId: 'loyalflow',
      password: 'secret',
      systemType: 'promo',
      senderId: 'Loyalflow',
      reconnectMinMs: 20,
      reconnectMaxMs: 100,
      submitTimeoutMs: 2_000,
      ...settings,
    },
    (event) => {
      events.push(event);
    },
  );
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const session of [...smsc.server.sessions]) session.destroy();
        smsc.server.close(() => resolve());
      }),
  );
  cleanups.push(() => channel.close());
  return { smsc, channel, events };
}

const message = (text: string, to = '+79161234567') => ({ messageId: 1, to, text });

/** Sends a deliver_sm from the SMSC on its latest session and resolves with the channel's deliver_sm_resp. */
function deliver(smsc: Awaited<ReturnType<typeof startSmsc>>, fields: PduFields): Promise<Pdu> {
  const session = smsc.server.sessions.at(-1)!;
  return new Promise((resolve) => session.send(smppPdu('deliver_sm', fields), resolve));
}

describe('SMS over SMPP', () => {
  it('binds as an SMPP 3.4 transceiver with the account credentials', async () => {
    const { smsc } = await setUp();
    await until(() => smsc.commands('bind_transceiver').length === 1);
    const { pdu } = smsc.commands('bind_transceiver')[0]!;
    expect(pdu.interface_version).toBe(0x34);
    expect([pdu.system_id, pdu.password, pdu.system_type]).toEqual(['loyalflow', 'secret', 'promo']);
  });

  it('submits GSM text with @ and $ as data_coding 0 septets, from an alphanumeric sender to a + less number', async () => {
    const { smsc, channel } = await setUp();
    const result = await channel.submit(message('Pay $5 @ shop'));
    expect(result).toEqual({ providerMessageId: 'm1', parts: 1 });
    const { pdu, octets } = smsc.commands('submit_sm')[0]!;
    // GSM 03.38: $ is 0x02 and @ is 0x00 (IA5 would have sent 0x24 and 0x40).
    expect(octets).toEqual(Buffer.from('Pay \x025 \x00 shop', 'latin1'));
    expect(pdu).toMatchObject({
      data_coding: 0,
      esm_class: 0,
      registered_delivery: 1,
      source_addr: 'Loyalflow',
      source_addr_ton: 5,
      source_addr_npi: 0,
      destination_addr: '79161234567',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
    });
  });

  it('sends a numeric sender as an international number without +', async () => {
    const { smsc, channel } = await setUp({ senderId: '+79000000001' });
    await channel.submit(message('hi'));
    const { pdu } = smsc.commands('submit_sm')[0]!;
    expect(pdu).toMatchObject({ source_addr: '79000000001', source_addr_ton: 1, source_addr_npi: 1 });
  });

  it('sends 150 Cyrillic characters as three UCS-2 parts under one reference, and maps their receipts to the first part', async () => {
    const { smsc, channel, events } = await setUp();
    const text = 'Привет! '.repeat(19).slice(0, 150);
    const result = await channel.submit(message(text));
    expect(result).toEqual({ providerMessageId: 'm1', parts: 3 });

    const submits = smsc.commands('submit_sm');
    expect(submits.map((s) => [s.pdu.esm_class, s.pdu.data_coding])).toEqual([
      [0x40, 8],
      [0x40, 8],
      [0x40, 8],
    ]);
    const split = submits.map((s) => splitUserDataHeader(s.octets!));
    const reference = split[0]!.concatenation!.reference;
    expect(split.map((s) => s.concatenation)).toEqual(
      [1, 2, 3].map((sequence) => ({ reference, total: 3, sequence })),
    );
    expect(submits.map((s) => s.octets!.subarray(0, 3))).toEqual(Array(3).fill(Buffer.from([5, 0, 3])));
    expect(decodeSms(Buffer.concat(split.map((s) => s.body)), 8)).toBe(text);

    // The first part's receipt in the text form only.
    const delivered = await deliver(smsc, {
      source_addr: '79161234567',
      destination_addr: 'Loyalflow',
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from(
        'id:m1 sub:001 dlvrd:001 submit date:2605011200 done date:2605011201 stat:DELIVRD err:000 text:Привет',
        'utf8',
      ),
    });
    // The second part's receipt with TLVs (the text carries the error code).
    const failed = await deliver(smsc, {
      source_addr: '79161234567',
      destination_addr: 'Loyalflow',
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from('id:m2 sub:001 dlvrd:000 stat:UNDELIV err:012 text:', 'latin1'),
      receipted_message_id: 'm2',
      message_state: 5,
    });
    expect([delivered.command, delivered.command_status, failed.command_status]).toEqual([
      'deliver_sm_resp',
      0,
      0,
    ]);
    expect(events.map(({ at: _at, ...event }) => event)).toEqual([
      { kind: 'delivered', providerMessageId: 'm1' },
      { kind: 'failed', providerMessageId: 'm1', detail: 'UNDELIV err:012' },
    ]);
  });

  it("maps a later part's failure receipt sent right behind its response, before the last part is answered", async () => {
    const { smsc, channel, events } = await setUp();
    smsc.onSubmit = (_submit, answer) => {
      const count = smsc.commands('submit_sm').length;
      if (count === 3) return void setTimeout(answer, 50);
      answer();
      if (count === 2) {
        void deliver(smsc, { esm_class: 0x04, data_coding: 0, receipted_message_id: 'm2', message_state: 8 });
      }
    };
    expect(await channel.submit(message('ж'.repeat(150)))).toEqual({ providerMessageId: 'm1', parts: 3 });
    expect(events.map(({ at: _at, ...event }) => event)).toEqual([
      { kind: 'failed', providerMessageId: 'm1', detail: 'REJECTD' },
    ]);
  });

  it('hands a mobile-originated message to the inbound handler as a reply from +number', async () => {
    const { smsc, channel, events } = await setUp();
    await channel.submit(message('hello')); // waits for the bind
    const gsm = await deliver(smsc, {
      source_addr: '79161234567',
      source_addr_ton: 1,
      destination_addr: 'Loyalflow',
      data_coding: 0,
      short_message: Buffer.from('STOP'),
    });
    await deliver(smsc, {
      source_addr: '79161234568',
      source_addr_ton: 1,
      destination_addr: 'Loyalflow',
      data_coding: 8,
      short_message: Buffer.from('04210442043e043f', 'hex'),
    });
    expect(gsm.command_status).toBe(0);
    expect(events.map(({ at: _at, ...event }) => event)).toEqual([
      { kind: 'reply', from: '+79161234567', text: 'STOP' },
      { kind: 'reply', from: '+79161234568', text: 'Стоп' },
    ]);
  });

  it('answers a deliver_sm its handler fails on with a temporary error, so the SMSC offers it again', async () => {
    const smsc = await startSmsc();
    const channel = new SmppChannel(
      { host: '127.0.0.1', port: smsc.port, systemId: 'a', password: 'b', senderId: 'Shop' },
      () => Promise.reject(new Error('database down')),
    );
    cleanups.push(() => new Promise((resolve) => smsc.server.close(resolve)));
    cleanups.push(() => channel.close());
    await channel.submit(message('hello'));
    const resp = await deliver(smsc, {
      source_addr: '79161234567',
      data_coding: 0,
      short_message: Buffer.from('STOP'),
    });
    expect(resp.command_status).toBe(0x64);
  });

  it('fails a submit in flight when the connection drops (transient), binds again and submits the next', async () => {
    const { smsc, channel } = await setUp();
    smsc.onSubmit = () => {}; // hold the response
    const inFlight = channel.submit(message('first'));
    await until(() => smsc.commands('submit_sm').length === 1);
    for (const session of [...smsc.server.sessions]) session.destroy();
    const error = await inFlight.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelError);
    expect(error).toMatchObject({ reason: 'connection_lost', permanent: false });

    smsc.onSubmit = (_submit, answer) => answer();
    const result = await channel.submit(message('second'));
    expect(result.parts).toBe(1);
    expect(smsc.commands('bind_transceiver')).toHaveLength(2);
    // Nothing is resubmitted by the channel: the held first and the second.
    expect(smsc.commands('submit_sm').map((s) => s.octets!.toString('latin1'))).toEqual(['first', 'second']);
  });

  it('rejects an invalid destination permanently and throttling transiently', async () => {
    const { smsc, channel } = await setUp();
    smsc.onSubmit = (_submit, answer) => answer({ command_status: 0x0b });
    await expect(channel.submit(message('x'))).rejects.toMatchObject({
      reason: 'invalid_destination',
      permanent: true,
    });
    smsc.onSubmit = (_submit, answer) => answer({ command_status: 0x58 });
    await expect(channel.submit(message('x'))).rejects.toMatchObject({
      reason: 'throttled',
      permanent: false,
    });
    smsc.onSubmit = (_submit, answer) => answer({ command_status: 0x14 });
    await expect(channel.submit(message('x'))).rejects.toMatchObject({
      reason: 'queue_full',
      permanent: false,
    });
  });

  it('gives up waiting for a bind after submitTimeoutMs with a transient smsc_unavailable', async () => {
    const channel = new SmppChannel(
      {
        host: '127.0.0.1',
        port: await freePort(),
        systemId: 'a',
        password: 'b',
        senderId: 'Shop',
        reconnectMinMs: 10,
        submitTimeoutMs: 300,
      },
      () => {},
    );
    cleanups.push(() => channel.close());
    const started = Date.now();
    await expect(channel.submit(message('x'))).rejects.toMatchObject({
      reason: 'smsc_unavailable',
      permanent: false,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('rejects a submit waiting for a bind as channel_closed when the channel closes', async () => {
    const channel = new SmppChannel(
      { host: '127.0.0.1', port: await freePort(), systemId: 'a', password: 'b', senderId: 'Shop' },
      () => {},
    );
    const waiting = expect(channel.submit(message('x'))).rejects.toMatchObject({
      reason: 'channel_closed',
      permanent: false,
    });
    await channel.close();
    await waiting;
  });

  it('keeps at most `window` submit_sm unanswered', async () => {
    const { smsc, channel } = await setUp({ window: 4 });
    const held: (() => void)[] = [];
    let outstanding = 0;
    let maxOutstanding = 0;
    smsc.onSubmit = (_submit, answer) => {
      outstanding++;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      held.push(() => {
        outstanding--;
        answer();
      });
    };
    const results = Promise.all(Array.from({ length: 25 }, (_, i) => channel.submit(message(`n${i}`))));
    // Each time the window is full, give the channel a moment to overshoot, then answer one.
    for (let answered = 0; answered < 25; answered++) {
      await until(() => held.length === Math.min(4, 25 - answered));
      await new Promise((resolve) => setTimeout(resolve, 10));
      held.shift()!();
    }
    expect((await results).map((r) => r.parts)).toEqual(Array(25).fill(1));
    expect(maxOutstanding).toBe(4);
  });

  it('sends at most ratePerSecond parts in any second', async () => {
    const { smsc, channel } = await setUp({ ratePerSecond: 5 });
    await Promise.all(Array.from({ length: 7 }, (_, i) => channel.submit(message(`n${i}`))));
    const arrivals = smsc.commands('submit_sm').map((s) => s.at);
    expect(arrivals).toHaveLength(7);
    expect(arrivals[4]! - arrivals[0]!).toBeLessThan(500);
    // The sixth waited for the first to be a second old (less a millisecond of timer rounding).
    expect(arrivals[5]! - arrivals[0]!).toBeGreaterThanOrEqual(995);
  });

  it('probes an idle link with enquire_link and replaces a link that stops answering', async () => {
    const { smsc } = await setUp({ enquireLinkSeconds: 0.05 });
    await until(() => smsc.commands('enquire_link').length >= 2);
    expect(smsc.commands('bind_transceiver')).toHaveLength(1);
    smsc.answerEnquireLink = false;
    await until(() => smsc.commands('bind_transceiver').length === 2);
  });

  it('waits on close for a submit in flight, then unbinds', async () => {
    const { smsc, channel } = await setUp();
    smsc.onSubmit = (_submit, answer) => setTimeout(answer, 100);
    const submitted = channel.submit(message('last'));
    await until(() => smsc.commands('submit_sm').length === 1);
    await channel.close();
    expect((await submitted).providerMessageId).toBe('m1');
    expect(smsc.commands('unbind')).toHaveLength(1);
    await expect(channel.submit(message('after'))).rejects.toMatchObject({ reason: 'channel_closed' });
  });
});
