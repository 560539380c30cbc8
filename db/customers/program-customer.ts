import type { Kysely } from 'kysely';
import type { Identifier } from '../../engine/contracts/identifier';
import { loadProgram, type ProgramInfo } from '../programs';
import type { Database } from '../schema';
import { resolveCustomer } from './identifiers';

/** The program and the customer an identifier names in it: what most customer operations start with. */
export async function programCustomer(
  db: Kysely<Database>,
  programId: number,
  identifier: Identifier,
  field = 'customer',
): Promise<{ program: ProgramInfo; customerId: number; cardId: number | null }> {
  const program = await loadProgram(db, programId);
  const { customerId, cardId } = await resolveCustomer(db, program.id, identifier, program.settings, field);
  return { program, customerId, cardId };
}
