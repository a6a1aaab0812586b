// The audit journal as the Audit view shows it: attempts (a `started` entry and
// its outcome, linked by `correlation`), newest first, and the filters over them.
// Pure functions, no clock or locale.
import type { AuditAction, AuditEntry, AuditMethod, AuditResult } from './bindings';

/**
 * One attempt: every entry sharing a correlation. `result` is the outcome's
 * result, or `started` while no outcome was recorded (still running, or the
 * console stopped mid-way).
 */
export interface Attempt {
  correlation: string;
  /** Newest first: the outcome above the `started` entry it belongs to. */
  entries: AuditEntry[];
  result: AuditResult;
  /** A `started` entry with no outcome, or an outcome the backend marked `interrupted`. */
  unfinished: boolean;
  /** The newest entry's time (RFC 3339), by which attempts are ordered. */
  latestAt: string;
  environment: string;
  actor: string;
}

export const RESULTS: readonly AuditResult[] = ['started', 'succeeded', 'failed', 'refused', 'interrupted'];

const RESULT_LABELS: Record<AuditResult, string> = {
  started: 'started',
  succeeded: 'succeeded',
  failed: 'failed',
  refused: 'refused',
  interrupted: 'interrupted',
};

/** What the result filter offers for each result (an attempt's `started` means no outcome). */
export const RESULT_FILTER_LABELS: Record<AuditResult, string> = {
  started: 'Started, no outcome',
  succeeded: 'Succeeded',
  failed: 'Failed',
  refused: 'Refused',
  interrupted: 'Interrupted',
};

export function resultLabel(result: AuditResult): string {
  return RESULT_LABELS[result];
}

const METHOD_LABELS: Record<AuditMethod, string> = {
  'github-approval': 'GitHub approval',
  'workflow-dispatch': 'Workflow dispatch',
  kubernetes: 'Kubernetes',
  rollback: 'Rollback',
};

export function auditMethodLabel(method: AuditMethod): string {
  return METHOD_LABELS[method];
}

const ACTION_LABELS: Record<AuditAction, string> = {
  approve: 'approve',
  reject: 'reject',
  promote: 'promote',
  rollback: 'roll back',
  override: 'override',
};

export function auditActionLabel(action: AuditAction): string {
  return ACTION_LABELS[action];
}

/** `@alice`; the journal's `unknown` (nobody signed in) stays in words. */
export function actorLabel(actor: string): string {
  return actor === 'unknown' ? 'nobody signed in' : `@${actor}`;
}

/** `aaa1111 → bbb2222`, with `none` for an unknown side. */
export function versionChange(from: string | null, to: string | null): string {
  return `${from ?? 'none'} → ${to ?? 'none'}`;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** `2026-05-01T10:32:05.123Z` → `2026-05-01 10:32:05 UTC`, in the offset it was written in. */
export function auditTime(at: string): string {
  const match = RFC3339.exec(at);
  if (!match) return at;
  const [, date, time, offset] = match;
  return `${date} ${time} ${offset === 'Z' || offset === 'z' ? 'UTC' : offset}`;
}

function instant(at: string): number {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? -Infinity : ms;
}

/** Newest first; entries at the same instant keep the journal's order, later lines first. */
export function newestFirst(entries: readonly AuditEntry[]): AuditEntry[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => instant(b.entry.at) - instant(a.entry.at) || b.index - a.index)
    .map(({ entry }) => entry);
}

/** The journal as attempts, newest attempt first (by its newest entry). */
export function attempts(entries: readonly AuditEntry[]): Attempt[] {
  const groups = new Map<string, AuditEntry[]>();
  for (const entry of newestFirst(entries)) {
    const key = entry.correlation || entry.id;
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  // Map keeps insertion order, and each group was created by its newest entry.
  return [...groups].map(([correlation, group]) => {
    const newest = group[0]!;
    const outcome = group.find((entry) => entry.result !== 'started');
    const result: AuditResult = outcome ? outcome.result : 'started';
    return {
      correlation,
      entries: group,
      result,
      unfinished: result === 'started' || result === 'interrupted',
      latestAt: newest.at,
      environment: newest.environment,
      actor: newest.actor,
    };
  });
}

export interface AuditFilter {
  /** Empty: any. */
  environment: string;
  person: string;
  result: AuditResult | '';
  search: string;
}

export const NO_FILTER: AuditFilter = { environment: '', person: '', result: '', search: '' };

export function isFiltered(filter: AuditFilter): boolean {
  return (
    filter.environment !== '' || filter.person !== '' || filter.result !== '' || filter.search.trim() !== ''
  );
}

function searchableText(entry: AuditEntry): string {
  return [
    entry.id,
    entry.correlation,
    entry.actor,
    `@${entry.actor}`,
    entry.environment,
    entry.fromVersion,
    entry.toVersion,
    entry.method,
    auditMethodLabel(entry.method),
    entry.action,
    entry.result,
    entry.comment,
    entry.overrideReason,
    entry.error?.code,
    entry.error?.message,
    entry.error?.hint,
    ...entry.gates.map((gate) => gate.reason),
  ]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join('\n')
    .toLowerCase();
}

function entryMatches(entry: AuditEntry, filter: AuditFilter, words: string[]): boolean {
  if (filter.environment && entry.environment !== filter.environment) return false;
  if (filter.person && entry.actor !== filter.person) return false;
  if (words.length === 0) return true;
  const text = searchableText(entry);
  return words.every((word) => text.includes(word));
}

/**
 * The attempts the filter keeps. The result filter looks at the attempt's result;
 * the others keep an attempt when any of its entries match, so an outcome is
 * never shown without the `started` entry it belongs to.
 */
export function filterAttempts(all: readonly Attempt[], filter: AuditFilter): Attempt[] {
  const words = filter.search.toLowerCase().split(/\s+/).filter(Boolean);
  return all.filter(
    (attempt) =>
      (filter.result === '' || attempt.result === filter.result) &&
      attempt.entries.some((entry) => entryMatches(entry, filter, words)),
  );
}

/** The people present in the journal, sorted, `unknown` last. */
export function actorsOf(entries: readonly AuditEntry[]): string[] {
  const actors = [...new Set(entries.map((entry) => entry.actor))];
  return actors.sort((a, b) => Number(a === 'unknown') - Number(b === 'unknown') || a.localeCompare(b));
}

/** The pipeline's environments in order, then any others the journal names (removed since), sorted. */
export function environmentsOf(pipeline: readonly string[], entries: readonly AuditEntry[]): string[] {
  const extra = [...new Set(entries.map((entry) => entry.environment))]
    .filter((name) => !pipeline.includes(name))
    .sort((a, b) => a.localeCompare(b));
  return [...new Set(pipeline), ...extra];
}

/** `Saved 12 entries to /home/alice/Downloads/sluice-audit.csv` */
export function exportMessage(entries: number, path: string): string {
  return `Saved ${entries} ${entries === 1 ? 'entry' : 'entries'} to ${path}`;
}
