import { customerProfileSchema, type CustomerProfile } from '../../engine/contracts/customer';
import { questionnaireOf } from '../../engine/contracts/program-settings';
import { mergeAnswers, type Answers } from '../../engine/customers/questionnaire';
import { DomainError } from '../../engine/errors';
import { recordAudit } from '../audit';
import type { Trx } from '../ledger/store';
import type { ProgramInfo } from '../programs';

/**
 * Changes a customer's profile and questionnaire: given profile keys replace the current ones (null
 * removes one), questionnaire keys are merged and validated against the program's questionnaire (a
 * group, such as children, is replaced as a whole; adults among children stay). Audited with the
 * names of the changed fields, not their values.
 */
export async function updateCustomerProfile(
  trx: Trx,
  program: ProgramInfo,
  input: {
    customerId: number;
    profile?: Record<string, unknown>;
    questionnaire?: Record<string, unknown>;
    actor: string;
    occurredAt: Date;
  },
): Promise<{ profile: CustomerProfile; questionnaire: Answers }> {
  const row = await trx
    .selectFrom('customers')
    .select(['status', 'profile', 'questionnaire'])
    .where('id', '=', input.customerId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (row.status === 'left' || row.status === 'merged') {
    throw new DomainError('customer_not_active', `the customer is ${row.status}`, 409, 'customer');
  }
  const merged = Object.fromEntries(
    Object.entries({ ...row.profile, ...input.profile }).filter(([, value]) => value !== null),
  );
  const parsed = customerProfileSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DomainError('invalid_profile', issue.message, 422, ['profile', ...issue.path].join('.'));
  }
  const answers = input.questionnaire
    ? mergeAnswers(questionnaireOf(program.settings), row.questionnaire as Answers, input.questionnaire).value
    : (row.questionnaire as Answers);
  await trx
    .updateTable('customers')
    .set({ profile: JSON.stringify(parsed.data), questionnaire: JSON.stringify(answers) })
    .where('id', '=', input.customerId)
    .execute();
  await recordAudit(trx, {
    programId: program.id,
    actor: input.actor,
    action: 'customer.update',
    subject: `customer:${input.customerId}`,
    changes: {
      profileFields: Object.keys(input.profile ?? {}),
      questionnaireFields: Object.keys(input.questionnaire ?? {}),
    },
    occurredAt: input.occurredAt,
  });
  return { profile: parsed.data, questionnaire: answers };
}
