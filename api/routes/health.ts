import { checkDatabase } from '../../db/health';
import { healthSchema, type Health } from '../../engine/contracts/health';
import { checkTemporal } from '../../platform/temporal-health';
import type { ApiApp, ApiDependencies } from '../types';

export function registerHealthRoutes(app: ApiApp, deps: ApiDependencies): void {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Database and Temporal status',
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    async (_request, reply) => {
      const [database, temporal] = await Promise.all([
        checkDatabase(deps.db),
        checkTemporal(deps.temporalAddress),
      ]);
      const health: Health = {
        status: database.ok && temporal.ok ? 'ok' : 'degraded',
        database,
        temporal,
        checkedAt: new Date().toISOString(),
      };
      return reply.status(database.ok ? 200 : 503).send(health);
    },
  );
}
