import type { EvaluationResult } from '../pricing/result';

/** The loyalty block of a fiscal receipt, in the customer's language (Russian or English). */

export interface ReceiptInput {
  language: string;
  result: Pick<EvaluationResult, 'discount' | 'totalPoints' | 'redemption' | 'messages'>;
  /** The spendable points after the purchase; null for an anonymous check. */
  balance: number | null;
  /** Coupons issued by the purchase, to print. */
  coupons: { code: string; expiresAt: string | null }[];
  /** Digits after the decimal point of the program currency (2 for roubles). */
  fractionDigits?: number;
}

const texts = {
  ru: {
    discount: 'Скидка по акциям',
    spent: 'Оплачено баллами',
    earned: 'Начислено баллов',
    balance: 'Баланс баллов',
    coupon: 'Ваш купон',
    until: 'до',
  },
  en: {
    discount: 'Promotional discount',
    spent: 'Paid with points',
    earned: 'Points earned',
    balance: 'Points balance',
    coupon: 'Your coupon',
    until: 'valid until',
  },
} as const;

/** Minor units as a decimal amount: 12345 → "123.45". */
export function formatMoney(minor: number, fractionDigits = 2): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  if (fractionDigits === 0) return `${sign}${abs}`;
  const base = 10 ** fractionDigits;
  return `${sign}${Math.floor(abs / base)}.${String(abs % base).padStart(fractionDigits, '0')}`;
}

export function receiptText(input: ReceiptInput): string[] {
  const t = input.language.startsWith('ru') ? texts.ru : texts.en;
  const money = (n: number) => formatMoney(n, input.fractionDigits ?? 2);
  const { result } = input;
  const lines: string[] = [];
  if (result.discount > 0) lines.push(`${t.discount}: ${money(result.discount)}`);
  if (result.redemption.spentPoints > 0) {
    lines.push(`${t.spent}: ${result.redemption.spentPoints} (${money(result.redemption.spentAmount)})`);
  }
  if (result.totalPoints > 0) lines.push(`${t.earned}: ${result.totalPoints}`);
  if (input.balance !== null) lines.push(`${t.balance}: ${input.balance}`);
  for (const c of input.coupons) {
    lines.push(`${t.coupon}: ${c.code}${c.expiresAt ? ` (${t.until} ${c.expiresAt.slice(0, 10)})` : ''}`);
  }
  for (const m of result.messages) lines.push(m.text);
  return lines;
}
