/** Where a one-time code goes. */
export interface CodeRecipient {
  kind: 'phone' | 'email';
  value: string;
}

/**
 * Delivers a one-time code. Implementations live with the channels (SMS, e-mail) outside engine/;
 * the engine only names the shape so commands and workflows can be written and tested against it.
 */
export interface OneTimeCodeSender {
  send(to: CodeRecipient, text: string): Promise<void>;
}

/** A sender for tests: keeps every message in memory, in order. */
export class RecordingCodeSender implements OneTimeCodeSender {
  readonly sent: { to: CodeRecipient; text: string }[] = [];

  send(to: CodeRecipient, text: string): Promise<void> {
    this.sent.push({ to: { ...to }, text });
    return Promise.resolve();
  }

  /** The text of the last message sent to this phone or address, if any. */
  lastTextTo(value: string): string | undefined {
    return this.sent.findLast((m) => m.to.value === value)?.text;
  }

  clear(): void {
    this.sent.length = 0;
  }
}
