import { describe, expect, it } from 'vitest';
import {
  changeWindowText,
  dayRanges,
  isWebUrl,
  methodLabel,
  percentText,
  plural,
  countText,
  olderWarningsText,
  principalList,
  relativeTime,
  replicasText,
  timestampText,
  triggerText,
} from './format';

describe('format', () => {
  it('words each trigger', () => {
    expect(triggerText({ kind: 'pull-request' })).toBe('from pull requests');
    expect(triggerText({ kind: 'merge', branch: 'release/1.x' })).toBe('on merge to release/1.x');
    expect(triggerText({ kind: 'promotion', from: 'staging' })).toBe('promoted from staging');
  });

  it('names each promotion method', () => {
    expect(methodLabel('github-approval')).toBe('GitHub approval');
    expect(methodLabel('workflow-dispatch')).toBe('Workflow dispatch');
    expect(methodLabel('kubernetes')).toBe('Direct to Kubernetes');
    expect(methodLabel('helm')).toBe('Helm upgrade');
  });

  it('mentions users and teams', () => {
    expect(principalList({ users: ['alice', '@bob'], teams: ['acme/sre'] })).toEqual([
      '@alice',
      '@bob',
      '@acme/sre',
    ]);
    expect(principalList({ users: [], teams: [] })).toEqual([]);
  });

  it('collapses runs of days', () => {
    expect(dayRanges(['fri', 'mon', 'wed', 'tue', 'thu'])).toBe('mon–fri');
    expect(dayRanges(['mon', 'tue', 'wed', 'fri'])).toBe('mon–wed, fri');
    expect(dayRanges(['sat', 'sun'])).toBe('sat, sun');
    expect(dayRanges([])).toBe('');
  });

  it('words a change window', () => {
    expect(
      changeWindowText({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '16:00', timezone: 'UTC' }),
    ).toBe('mon–fri 09:00–16:00 UTC');
  });

  it('shows timestamps in the offset they were written in', () => {
    expect(timestampText('2026-12-20T00:00:00Z')).toBe('2026-12-20 00:00 UTC');
    expect(timestampText('2026-12-20T08:30:00.5+01:00')).toBe('2026-12-20 08:30 +01:00');
    expect(timestampText('next tuesday')).toBe('next tuesday');
  });

  it('shows a missing replica target as a dash', () => {
    expect(replicasText(3)).toBe('3');
    expect(replicasText(null)).toBe('—');
  });

  it('says how long ago something happened', () => {
    const now = Date.parse('2026-03-10T12:00:00Z');
    expect(relativeTime('2026-03-10T11:59:30Z', now)).toBe('just now');
    expect(relativeTime('2026-03-10T12:00:20Z', now)).toBe('just now');
    expect(relativeTime('2026-03-10T11:57:00Z', now)).toBe('3 min ago');
    expect(relativeTime('2026-03-10T09:59:00Z', now)).toBe('2 h ago');
    expect(relativeTime('2026-03-06T12:00:00+01:00', now)).toBe('4 d ago');
    expect(relativeTime('not a time', now)).toBe('not a time');
  });

  it('rounds progress down, within 0–100%', () => {
    expect(percentText(0.5)).toBe('50%');
    expect(percentText(0.29)).toBe('29%');
    expect(percentText(0.999)).toBe('99%');
    expect(percentText(1)).toBe('100%');
    expect(percentText(1.5)).toBe('100%');
    expect(percentText(-1)).toBe('0%');
    expect(percentText(Number.NaN)).toBe('0%');
  });

  it('counts in words', () => {
    expect(plural(1, 'commit')).toBe('1 commit');
    expect(countText(7)).toBe('7');
    expect(countText(1234)).toBe('1\u202f234');
    expect(countText(1234567)).toBe('1\u202f234\u202f567');
    expect(olderWarningsText(1)).toBe('and 1 older warning event');
    expect(olderWarningsText(1980)).toBe('and 1\u202f980 older warning events');
    expect(plural(0, 'PR')).toBe('0 PRs');
    expect(plural(3, 'commit')).toBe('3 commits');
  });

  it('tells a link the console opens from one it refuses', () => {
    expect(isWebUrl('https://github.com/acme/app/pull/42')).toBe(true);
    expect(isWebUrl('HTTP://ghe.example/acme/app/pull/1')).toBe(true);
    expect(isWebUrl('')).toBe(false);
    expect(isWebUrl(null)).toBe(false);
    expect(isWebUrl('file:///etc/passwd')).toBe(false);
    expect(isWebUrl('javascript:alert(1)')).toBe(false);
    expect(isWebUrl('https://github.com/a b')).toBe(false);
  });
});
