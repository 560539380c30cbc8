import type { DB } from '../db/database';
import { expireGiftCards } from '../db/gift-cards/expire';
import { dropStalePendingReceipts } from '../db/messaging/inbound';
import { activateLots, expireLots } from '../db/ledger/lot-jobs';
import { runDueTierReviews } from '../db/tiers/periodic-review';
import type { Logger } from '../platform/logger';

export interface MaintenanceReport {
  /** Lots of points that became spendable, lots burnt at expiry and their points. */
  lotsActivated: number;
  accountsExpired: number;
  pointsExpired: number;
  /** Gift cards past expiry whose balance was forfeited, and how much. */
  giftCardsExpired: number;
  giftCardMoneyForfeited: number;
  /** Periodic tier reviews that fell due (a new month, quarter or year) and the tiers they changed. */
  tierReviews: number;
  tiersChanged: number;
  /** Delivery receipts that waited a week for a message the platform never recorded, dropped. */
  pendingReceiptsDropped: number;
}

/**
 * The platform's periodic upkeep as of a business time: points lots activated and expired in every
 * program, gift card balances past expiry forfeited, periodic tier reviews that fell due, delivery
 * receipts that never found their message dropped. Each step is idempotent for its time, so a retry
 * or a second run changes nothing.
 */
export function createMaintenanceActivities(db: DB, log: Logger) {
  return {
    async runMaintenance(atIso: string): Promise<MaintenanceReport> {
      const at = new Date(atIso);
      const report: MaintenanceReport = {
        lotsActivated: 0,
        accountsExpired: 0,
        pointsExpired: 0,
        giftCardsExpired: 0,
        giftCardMoneyForfeited: 0,
        tierReviews: 0,
        tiersChanged: 0,
        pendingReceiptsDropped: 0,
      };
      for (const { id: programId } of await db.selectFrom('programs').select('id').orderBy('id').execute()) {
        report.lotsActivated += await activateLots(db, { programId, at });
        const expired = await expireLots(db, { programId, at });
        report.accountsExpired += expired.accounts;
        report.pointsExpired += expired.points;
      }
      const cards = await expireGiftCards(db, at);
      report.giftCardsExpired = cards.cards;
      report.giftCardMoneyForfeited = cards.forfeited;
      const reviews = await runDueTierReviews(db, at);
      report.tierReviews = reviews.length;
      report.tiersChanged = reviews.reduce((sum, r) => sum + r.changed, 0);
      report.pendingReceiptsDropped = await dropStalePendingReceipts(db, at);
      log.info({ at: atIso, ...report }, 'maintenance done');
      return report;
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
