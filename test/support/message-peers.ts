import { afterAll, beforeAll } from 'vitest';
import { startMailCatcher, type CaughtMail, type MailCatcher } from '../../platform/mail-catcher';
import { createLogger } from '../../platform/logger';
import { startSmsSink, type SinkMessage, type SmsSink } from '../../platform/sms-sink';
import { MessageSender } from '../../worker/message-sender';
import type { ApiFixture } from './api-fixture';
import { testMessaging } from './messages';

/** A file's real peers of the message path and the worker's sender delivering to them. */
export interface MessagePeers {
  /** Every SMS the local SMSC received, parts joined, in order. */
  readonly sms: SinkMessage[];
  /** Every e-mail the local SMTP server received. */
  readonly mails: CaughtMail[];
  readonly sink: SmsSink;
  readonly sender: MessageSender;
  /** Stops the SMSC (an outage); `restartSink` brings it back on the same port. */
  stopSink(): Promise<void>;
  restartSink(): Promise<void>;
}

/**
 * Starts, before the file's tests, a local SMSC (SMPP, delivery receipts after 20 ms) and SMTP server
 * as the program's default channels, and a running sender against the fixture's database.
 */
export function useMessagePeers(api: ApiFixture): MessagePeers {
  const sms: SinkMessage[] = [];
  const mails: CaughtMail[] = [];
  const state = {} as { sink: SmsSink; catcher: MailCatcher; sender: MessageSender; port: number };
  const startSink = async (port: number) => {
    state.sink = await startSmsSink({
      host: '127.0.0.1',
      port,
      receiptDelayMs: 20,
      onMessage: (m) => void sms.push(m),
    });
    state.port = state.sink.port;
  };
  beforeAll(async () => {
    await startSink(0);
    state.catcher = await startMailCatcher({ host: '127.0.0.1', onMessage: (m) => void mails.push(m) });
    state.sender = new MessageSender({
      db: api.t.db,
      databaseUrl: api.t.url,
      log: createLogger('test-sender', 'silent'),
      context: testMessaging,
      defaults: {
        sms: { host: '127.0.0.1', port: state.port },
        email: { host: '127.0.0.1', port: state.catcher.port },
      },
      pollMs: 50,
    });
    await state.sender.start();
  });
  afterAll(async () => {
    await state.sender?.stop();
    await state.sink?.close();
    await state.catcher?.close();
  });
  return {
    sms,
    mails,
    get sink() {
      return state.sink;
    },
    get sender() {
      return state.sender;
    },
    stopSink: () => state.sink.close(),
    restartSink: () => startSink(state.port),
  };
}
