import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import * as workflows from './index';

/**
 * Every workflow must replay its recorded histories deterministically. Histories are recorded from real
 * runs on the dev server (LOYALFLOW_RECORD_HISTORIES=1 npm run test:unit) and committed; a change that
 * breaks replay of a recorded history would break running workflows too. Besides the happy path, the
 * customer workflow's idle completion and continue-as-new are recorded
 * (worker/customer-events-workflow.test.ts), and the segment recompute with no program to recompute
 * and with one (worker/segment-recompute.test.ts), and the static list upload applied (one chunk,
 * and three two at a time), redelivered after it finished and failed (api/routes/segment-lists.test.ts).
 */
const historiesDir = path.resolve(import.meta.dirname, 'histories');
const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));

function lastEventType(file: string): string {
  const history = JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8'));
  return history.events.at(-1).eventType as string;
}

describe('workflow replay', () => {
  it('has a recorded history for every workflow', () => {
    const recorded = new Set(
      files.map((f) => {
        const history = JSON.parse(readFileSync(path.join(historiesDir, f), 'utf8'));
        return history.events[0].workflowExecutionStartedEventAttributes.workflowType.name as string;
      }),
    );
    expect([...recorded].sort()).toEqual(Object.keys(workflows).sort());
  });

  it('has the customer workflow ending idle and continuing as new', () => {
    expect(lastEventType('customer-events-idle.json')).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    expect(lastEventType('customer-events-continue-as-new.json')).toBe(
      'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
    );
  });

  it('has the segment recompute with no program to recompute and with one', () => {
    const recomputes = (file: string) => {
      const history = JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8'));
      return history.events.filter(
        (e: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }) =>
          e.activityTaskScheduledEventAttributes?.activityType.name === 'recomputeProgram',
      ).length;
    };
    expect(recomputes('segment-recompute-none.json')).toBe(0);
    expect(recomputes('segment-recompute.json')).toBeGreaterThan(0);
    expect(lastEventType('segment-recompute.json')).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  });

  it('has the list upload resolving chunks and applying, redelivered after it finished, and failing', () => {
    const activities = (file: string) => {
      const history = JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8'));
      return history.events.flatMap(
        (e: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }) =>
          e.activityTaskScheduledEventAttributes
            ? [e.activityTaskScheduledEventAttributes.activityType.name]
            : [],
      );
    };
    expect(activities('segment-list-upload.json')).toEqual([
      'startListUpload',
      'resolveListUploadChunk',
      'applyListUpload',
    ]);
    expect(activities('segment-list-upload-chunks.json')).toEqual([
      'startListUpload',
      'resolveListUploadChunk',
      'resolveListUploadChunk',
      'resolveListUploadChunk',
      'applyListUpload',
    ]);
    expect(activities('segment-list-upload-redelivered.json')).toEqual([
      'startListUpload',
      'applyListUpload',
    ]);
    expect(activities('segment-list-upload-failed.json')).toEqual(['startListUpload', 'failListUpload']);
    for (const file of ['segment-list-upload.json', 'segment-list-upload-failed.json']) {
      expect(lastEventType(file)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    }
  });

  it.each(files)('replays %s', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8')));
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      file,
    );
  });
});
