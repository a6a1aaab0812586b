// Wording for the audit journal and the Audit view's filter form. The console groups the
// journal into attempts and filters them (`backend.audit(filter)`); these only label.
import type { AttemptFilter, AuditAction, AuditEntry, AuditMethod, AuditResult, ChainReport } from './bindings';

export const RESULTS: readonly AuditResult[] = ['started', 'succeeded', 'failed', 'refused', 'interrupted', 'counted'];

const RESULT_LABELS: Record<AuditResult, string> = {
  started: 'started',
  succeeded: 'succeeded',
  failed: 'failed',
  refused: 'refused',
  interrupted: 'interrupted',
  counted: 'approval counted',
};

/** What the result filter offers for each result (an attempt's `started` means no outcome). */
export const RESULT_FILTER_LABELS: Record<AuditResult, string> = {
  started: 'Started, no outcome',
  succeeded: 'Succeeded',
  failed: 'Failed',
  refused: 'Refused',
  interrupted: 'Interrupted',
  counted: 'Approval counted toward a quorum',
};

export function resultLabel(result: AuditResult): string {
  return RESULT_LABELS[result];
}

const METHOD_LABELS: Record<AuditMethod, string> = {
  'github-approval': 'GitHub approval',
  'workflow-dispatch': 'Workflow dispatch',
  kubernetes: 'Kubernetes',
  helm: 'Helm upgrade',
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

/** The filter form's state. */
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

/** The form's filter as the console takes it: `null` for "any". */
export function attemptFilter(filter: AuditFilter): AttemptFilter {
  const search = filter.search.trim();
  return {
    environment: filter.environment || null,
    person: filter.person || null,
    result: filter.result || null,
    search: search === '' ? null : search,
  };
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

/** What an intact chain says: how much of the journal it covers, and whether its end was checked. */
export function chainSummary(report: ChainReport): string {
  const unchained = report.legacy > 0 ? `; ${report.legacy} older ${report.legacy === 1 ? 'line carries' : 'lines carry'} no link` : '';
  const linked = `Intact: ${report.chained} of ${report.lines} ${report.lines === 1 ? 'line' : 'lines'} each follow the one before${unchained}.`;
  const head =
    report.head.state === 'anchored'
      ? 'It still ends with the line kept in the keychain.'
      : `Its end is not anchored (${report.head.reason}), so lines removed from the end could not be noticed.`;
  return `${linked} ${head}`;
}

/** The distinct things to do about a broken chain, in the order of the breaks. */
export function chainHints(report: ChainReport): string[] {
  return [...new Set(report.breaks.map((b) => b.hint))];
}
