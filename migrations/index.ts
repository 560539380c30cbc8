import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation';
import * as m0002 from './0002_processing_core';
import * as m0003 from './0003_cards_and_notifiers';
import * as m0004 from './0004_coupons';
import * as m0005 from './0005_catalogue_and_promotions';
import * as m0006 from './0006_purchases';
import * as m0007 from './0007_coupon_lifecycle';
import * as m0008 from './0008_gift_cards';
import * as m0009 from './0009_access';
import * as m0010 from './0010_qualifying_amounts';
import * as m0011 from './0011_tier_review_runs';
import * as m0012 from './0012_redemption_tokens';
import * as m0013 from './0013_change_notifications';
import * as m0014 from './0014_gift_card_pin_attempts';
import * as m0015 from './0015_batch_adjustments';
import * as m0016 from './0016_lots_by_account';
import * as m0017 from './0017_as_of_by_business_time';
import * as m0018 from './0018_customer_events';
import * as m0019 from './0019_segments';
import * as m0020 from './0020_list_uploads';
import * as m0021 from './0021_messaging';

/** Every migration, in order. Forward-only: a new schema change is a new file added here. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_processing_core': m0002,
  '0003_cards_and_notifiers': m0003,
  '0004_coupons': m0004,
  '0005_catalogue_and_promotions': m0005,
  '0006_purchases': m0006,
  '0007_coupon_lifecycle': m0007,
  '0008_gift_cards': m0008,
  '0009_access': m0009,
  '0010_qualifying_amounts': m0010,
  '0011_tier_review_runs': m0011,
  '0012_redemption_tokens': m0012,
  '0013_change_notifications': m0013,
  '0014_gift_card_pin_attempts': m0014,
  '0015_batch_adjustments': m0015,
  '0016_lots_by_account': m0016,
  '0017_as_of_by_business_time': m0017,
  '0018_customer_events': m0018,
  '0019_segments': m0019,
  '0020_list_uploads': m0020,
  '0021_messaging': m0021,
};
