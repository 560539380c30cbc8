import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const version = 'v1';

/**
 * Seals the secrets an answer shows once (activation tokens, e-certificate PINs, redemption tokens)
 * before the answer is stored for idempotent replays: AES-256-GCM under a key derived from the
 * server secret, so the stored row holds no secret in clear and a replay still answers what the first
 * call did. A value sealed under another secret does not open (the replay answers without it).
 */
export class AnswerSeal {
  private readonly key: Buffer;

  constructor(serverSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', serverSecret, '', 'loyalflow/stored-answer-secret', 32));
  }

  seal(value: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return [version, iv, body, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The sealed value, or undefined when it was sealed under another secret or is damaged. */
  open(sealed: string): string | undefined {
    const [v, iv, body, tag] = sealed.split('.');
    if (v !== version || !iv || body === undefined || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return undefined;
    }
  }
}
