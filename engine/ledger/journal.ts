import { DomainError } from '../errors';

export interface JournalLine {
  accountId: number;
  currency: string;
  /** Signed: what the account gains (positive) or gives (negative). */
  amount: number;
}

/** Every journal entry balances: per currency, its lines sum to zero; no line is zero. */
export function assertBalanced(lines: readonly JournalLine[]): void {
  const sums = new Map<string, number>();
  for (const line of lines) {
    if (!Number.isSafeInteger(line.amount) || line.amount === 0) {
      throw new DomainError('unbalanced_entry', 'journal lines must be non-zero whole numbers', 422);
    }
    sums.set(line.currency, (sums.get(line.currency) ?? 0) + line.amount);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0)
      throw new DomainError('unbalanced_entry', `journal entry does not balance in ${currency}: ${sum}`, 422);
  }
}

/** Merges lines on the same account and currency and drops the ones that net to zero. */
export function netLines(lines: readonly JournalLine[]): JournalLine[] {
  const byKey = new Map<string, JournalLine>();
  for (const line of lines) {
    const key = `${line.accountId}:${line.currency}`;
    const current = byKey.get(key);
    byKey.set(key, current ? { ...current, amount: current.amount + line.amount } : { ...line });
  }
  return [...byKey.values()].filter((line) => line.amount !== 0);
}
