import { parseCheck, parseCustomerContext, type Check, type CheckInput, type CustomerContext } from './check';
import { ruleSchema, type Rule, type RuleInput } from './rules';

/** Test helpers: build typed rules, checks and contexts through their schemas. */
export const rule = (r: Omit<RuleInput, 'name'> & { name?: string }): Rule =>
  ruleSchema.parse({ name: r.id, ...r });

type LineInput = CheckInput['lines'][number];
export const line = (
  sku: string,
  unitPrice: number,
  quantity = 1,
  more: Partial<LineInput> = {},
): LineInput => ({
  sku,
  unitPrice,
  quantity,
  ...more,
});

/** 2026-11-23 is a Monday. */
export const check = (
  lines: LineInput[],
  localDateTime = '2026-11-23T12:00',
  more: Partial<CheckInput> = {},
): Check => parseCheck({ lines, storeId: 'S1', localDateTime, timeZone: 'Europe/Moscow', ...more });

export const customer = (c: Record<string, unknown> = {}): CustomerContext =>
  parseCustomerContext({ pointsBalance: 1_000_000, ...c });

export const at = new Date('2026-11-23T09:00:00Z');
