import { getTierLadder, putTierLadder } from '../../db/tiers/tier-ladder';
import { tierLadderSchema } from '../../engine/contracts/tier-ladder';
import { DomainError } from '../../engine/errors';
import { z } from 'zod';
import { actingAs } from '../auth';
import { mutation } from '../idempotent-route';
import { read } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

const scope = 'program:manage';
const storedLadderSchema = z.object({
  ladder: tierLadderSchema,
  updatedBy: z.string(),
  updatedAt: z.string(),
});

/** The tier ladder: thresholds, qualifying window, review period and downgrade policy. */
export function registerTierRoutes(app: ApiApp, deps: ApiDependencies): void {
  read(app, deps, {
    url: '/v1/tiers/ladder',
    scope,
    summary: "The program's tier ladder",
    response: storedLadderSchema,
    async run(_input, principal) {
      const stored = await getTierLadder(deps.db, principal.programId);
      if (!stored) throw new DomainError('tier_ladder_not_found', 'the program has no tier ladder', 404);
      return stored;
    },
  });

  mutation(app, deps, {
    method: 'PUT',
    url: '/v1/tiers/ladder',
    changesCachedReads: true,
    scope,
    summary: "Replace the program's tier ladder",
    description:
      'Tier codes are unique and thresholds (qualifying spend in minor units) strictly ascending; a 422 names the tier, e.g. tiers.2.threshold.',
    body: tierLadderSchema,
    response: storedLadderSchema,
    run: (trx, ladder, principal) => putTierLadder(trx, { ...actingAs(principal), ladder }),
  });
}
