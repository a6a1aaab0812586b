import { describe, expect, it } from 'vitest';
import { auditEntry, auditJournal } from '../test/fixtures';
import {
  actorLabel,
  actorsOf,
  attempts,
  auditTime,
  environmentsOf,
  exportMessage,
  filterAttempts,
  isFiltered,
  NO_FILTER,
  newestFirst,
  versionChange,
} from './audit';

describe('audit helpers', () => {
  it('orders entries newest first, later journal lines first at the same instant', () => {
    const entries = [
      auditEntry({ id: 'x', at: '2026-05-04T09:00:00Z' }),
      auditEntry({ id: 'y', at: '2026-05-04T10:00:00+02:00' }),
      auditEntry({ id: 'z', at: '2026-05-04T09:00:00Z' }),
    ];
    expect(newestFirst(entries).map((e) => e.id)).toEqual(['z', 'x', 'y']);
  });

  it('groups a started entry with its outcome, newest attempt first', () => {
    const all = attempts(auditJournal());
    expect(all.map((a) => [a.correlation, a.result, a.unfinished])).toEqual([
      ['d1', 'started', true],
      ['c1', 'failed', false],
      ['b1', 'refused', false],
      ['a1', 'succeeded', false],
    ]);
    expect(all[1]!.entries.map((e) => e.id)).toEqual(['c2', 'c1']);
  });

  it('marks an attempt the backend called interrupted as unfinished', () => {
    const [attempt] = attempts([
      auditEntry({ id: 's', result: 'started' }),
      auditEntry({ id: 'i', correlation: 's', at: '2026-05-04T10:31:00Z', result: 'interrupted' }),
    ]);
    expect(attempt).toMatchObject({ result: 'interrupted', unfinished: true });
  });

  it('filters by environment, person, result and words, keeping whole attempts', () => {
    const all = attempts(auditJournal());
    const ids = (filter: Partial<typeof NO_FILTER>) =>
      filterAttempts(all, { ...NO_FILTER, ...filter }).map((a) => a.correlation);

    expect(ids({})).toEqual(['d1', 'c1', 'b1', 'a1']);
    expect(ids({ environment: 'staging' })).toEqual(['c1']);
    expect(ids({ person: 'bob' })).toEqual(['b1']);
    expect(ids({ result: 'failed' })).toEqual(['c1']);
    expect(ids({ result: 'started' })).toEqual(['d1']);
    expect(ids({ search: 'NOT A REVIEWER' })).toEqual(['b1']);
    expect(ids({ search: 'hotfix outage' })).toEqual(['d1']);
    expect(ids({ search: '@carol' })).toEqual(['c1']);
    expect(ids({ environment: 'staging', person: 'bob' })).toEqual([]);
  });

  it('knows when a filter is set', () => {
    expect(isFiltered(NO_FILTER)).toBe(false);
    expect(isFiltered({ ...NO_FILTER, search: '   ' })).toBe(false);
    expect(isFiltered({ ...NO_FILTER, result: 'refused' })).toBe(true);
  });

  it('lists people and environments for the filters', () => {
    const entries = [...auditJournal(), auditEntry({ id: 'u', actor: 'unknown', environment: 'qa' })];
    expect(actorsOf(entries)).toEqual(['alice', 'bob', 'carol', 'dave', 'unknown']);
    expect(environmentsOf(['dev', 'staging', 'production'], entries)).toEqual([
      'dev',
      'staging',
      'production',
      'qa',
    ]);
  });

  it('words times, people, versions and exports', () => {
    expect(auditTime('2026-05-04T10:30:05.123Z')).toBe('2026-05-04 10:30:05 UTC');
    expect(auditTime('2026-05-04T10:30:05+02:00')).toBe('2026-05-04 10:30:05 +02:00');
    expect(auditTime('yesterday')).toBe('yesterday');
    expect(actorLabel('alice')).toBe('@alice');
    expect(actorLabel('unknown')).toBe('nobody signed in');
    expect(versionChange(null, 'bbb2222')).toBe('none → bbb2222');
    expect(exportMessage(1, '/tmp/a.csv')).toBe('Saved 1 entry to /tmp/a.csv');
    expect(exportMessage(6, '/tmp/a.json')).toBe('Saved 6 entries to /tmp/a.json');
  });
});
