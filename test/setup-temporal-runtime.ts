import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createLogger } from '../platform/logger';
import { temporalLogger } from '../platform/temporal-logger';

// Once per test process: the SDK's log goes to a warn-level logger instead of the console.
const marker = globalThis as typeof globalThis & { loyalflowRuntimeInstalled?: boolean };
if (!marker.loyalflowRuntimeInstalled) {
  marker.loyalflowRuntimeInstalled = true;
  try {
    Runtime.install({
      logger: temporalLogger(createLogger('temporal-sdk', process.env.LOG_LEVEL ?? 'warn')),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
    });
  } catch {
    // Already installed by an earlier file in this process.
  }
}
