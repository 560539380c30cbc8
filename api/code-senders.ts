import type { OneTimeCodeSender } from '../engine/customers/one-time-code-sender';
import type { Logger } from '../platform/logger';

/** The demo's sender: writes the message to the log so a developer can read the code. Never in production. */
export function logCodeSender(log: Logger): OneTimeCodeSender {
  return {
    async send(to, text) {
      log.warn(
        { channel: to.kind, devMessage: text },
        'LOYALFLOW_DEV_CODES: one-time code not sent, printed here',
      );
    },
  };
}

/** Until a messaging channel is configured: refuses, so nobody waits for a code that never comes. */
export const unconfiguredCodeSender: OneTimeCodeSender = {
  async send() {
    throw new Error('no channel delivers one-time codes yet; set LOYALFLOW_DEV_CODES=true for development');
  },
};
