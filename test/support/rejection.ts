import { expect } from 'vitest';
import { DomainError } from '../../engine/errors';

/** The DomainError `promise` is refused with (the test fails when it resolves or fails otherwise). */
export async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}
