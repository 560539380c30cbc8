'use server';

import { redirect } from 'next/navigation';
import { completeActivation } from '../../../../db/customers/activation';
import { DomainError } from '../../../../engine/errors';
import { db } from '../../../lib/db';
import { profileAndAnswersFromForm } from './form-data';

/** The activation form's action: validates and saves, then shows the result on the same page. */
export async function activate(token: string, form: FormData): Promise<void> {
  const { profile, questionnaire } = profileAndAnswersFromForm(form);
  let target: string;
  try {
    await db()
      .transaction()
      .execute((trx) => completeActivation(trx, { token, profile, questionnaire, now: new Date() }));
    target = `/activate/${encodeURIComponent(token)}?done=1`;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const params = new URLSearchParams({ error: error.message, field: error.field ?? '' });
    target = `/activate/${encodeURIComponent(token)}?${params}`;
  }
  redirect(target);
}
