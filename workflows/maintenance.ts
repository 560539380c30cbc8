import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities, MaintenanceReport } from '../activities/maintenance';

const { runMaintenance } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', maximumAttempts: 10 },
});

/**
 * One round of upkeep, started by the platform's schedule: expiry and activation of points lots and
 * gift card expiry, as of the time the round starts (the workflow's clock, recorded in its history).
 */
export async function maintenanceWorkflow(): Promise<MaintenanceReport> {
  return runMaintenance(new Date().toISOString());
}
