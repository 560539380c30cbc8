import { describe, expect, it } from 'vitest';
import { defaultQuestionnaire } from '../customers/questionnaire';
import { conditionSchema } from './definition';
import { definitionIssues, dependencyLevels, type SegmentVocabulary } from './validate';

const vocabulary = (segments: Record<string, string[]>): SegmentVocabulary => ({
  questionnaire: defaultQuestionnaire,
  tiers: ['base', 'gold'],
  cardTypes: ['plastic'],
  couponIssues: ['spring'],
  stores: ['msk-01'],
  storeGroups: ['moscow'],
  lists: ['vip'],
  eventTypes: ['app.opened'],
  segments: new Map(Object.entries(segments)),
});

const issues = (code: string, condition: unknown, segments: Record<string, string[]> = {}) =>
  definitionIssues(code, conditionSchema.parse(condition), vocabulary(segments));

describe('checking a definition against the program', () => {
  it('names the path of every unknown code, field and test that does not suit its field', () => {
    expect(
      issues('x', {
        type: 'all',
        conditions: [
          { type: 'tier', tiers: ['gold', 'diamond'] },
          {
            type: 'questionnaireGroup',
            group: 'pets',
            quantifier: 'atLeastOne',
            where: [{ field: 'kind', in: ['lion'] }],
          },
          { type: 'event', eventType: 'app.closed', windowDays: 3 },
          {
            type: 'purchases',
            windowDays: 3,
            metric: 'count',
            range: { min: 1 },
            filter: { storeGroups: ['spb'] },
          },
          { type: 'not', condition: { type: 'questionnaire', test: { field: 'children', answered: true } } },
        ],
      }).map((i) => i.field),
    ).toEqual([
      'condition.conditions.0.tiers.1',
      'condition.conditions.1.where.0.in',
      'condition.conditions.2.eventType',
      'condition.conditions.3.filter.storeGroups.0',
      'condition.conditions.4.condition.test.field',
    ]);
  });

  it('refuses a reference to itself and a cycle through others, naming the cycle', () => {
    expect(issues('a', { type: 'segment', segment: 'a' })[0]?.message).toContain('itself');
    const cycle = issues('a', { type: 'segment', segment: 'b' }, { b: ['c'], c: ['a'] });
    expect(cycle).toEqual([{ field: 'condition.segment', message: 'a cycle: a → b → c → a' }]);
    expect(issues('a', { type: 'segment', segment: 'b' }, { b: ['c'], c: [] })).toEqual([]);
  });
});

describe('dependency levels', () => {
  it('puts each segment after those it reads, ignoring references outside the graph', () => {
    expect(
      dependencyLevels(new Map(Object.entries({ z: [], a: ['z'], m: ['a', 'z'], q: ['gone'] }))),
    ).toEqual([['q', 'z'], ['a'], ['m']]);
  });
});
