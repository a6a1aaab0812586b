import { describe, expect, it } from 'vitest';
import { auditEntry, auditJournal } from '../test/fixtures';
import {
  actorLabel,
  actorsOf,
  attemptFilter,
  auditMethodLabel,
  auditTime,
  environmentsOf,
  exportMessage,
  isFiltered,
  NO_FILTER,
  versionChange,
} from './audit';

describe('audit helpers', () => {
  it('asks the console with null for every field left at "any"', () => {
    expect(attemptFilter(NO_FILTER)).toEqual({ environment: null, person: null, result: null, search: null });
    expect(attemptFilter({ environment: 'staging', person: 'bob', result: 'refused', search: '  not a reviewer ' })).toEqual({
      environment: 'staging',
      person: 'bob',
      result: 'refused',
      search: 'not a reviewer',
    });
    expect(attemptFilter({ ...NO_FILTER, search: '   ' }).search).toBeNull();
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

  it('names each method', () => {
    expect(auditMethodLabel('github-approval')).toBe('GitHub approval');
    expect(auditMethodLabel('workflow-dispatch')).toBe('Workflow dispatch');
    expect(auditMethodLabel('kubernetes')).toBe('Kubernetes');
    expect(auditMethodLabel('helm')).toBe('Helm upgrade');
    expect(auditMethodLabel('rollback')).toBe('Rollback');
  });
});
