// Human wording for the pipeline's data. Pure functions, no locale or clock:
// what is shown is exactly what the configuration says.
import type { ChangeWindow, Principals, PromotionMethod, Trigger, Weekday } from './bindings';

export const MISSING = '—';

export function triggerText(trigger: Trigger): string {
  switch (trigger.kind) {
    case 'pull-request':
      return 'from pull requests';
    case 'merge':
      return `on merge to ${trigger.branch}`;
    case 'promotion':
      return `promoted from ${trigger.from}`;
  }
}

const METHOD_LABELS: Record<PromotionMethod, string> = {
  'github-approval': 'GitHub approval',
  'workflow-dispatch': 'Workflow dispatch',
  kubernetes: 'Direct to Kubernetes',
  helm: 'Helm upgrade',
};

export function methodLabel(method: PromotionMethod): string {
  return METHOD_LABELS[method];
}

function mention(name: string): string {
  return name.startsWith('@') ? name : `@${name}`;
}

/** Users as `@login`, teams as `@org/team`, users first. */
export function principalList(principals: Principals): string[] {
  return [...principals.users.map(mention), ...principals.teams.map(mention)];
}

const WEEK: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** `mon–fri`, `mon–wed, fri`, `sat, sun`: runs of three or more days collapse to a range. */
export function dayRanges(days: readonly Weekday[]): string {
  const present = WEEK.filter((day) => days.includes(day));
  const parts: string[] = [];
  let i = 0;
  while (i < present.length) {
    let j = i;
    while (j + 1 < present.length && WEEK.indexOf(present[j + 1]!) === WEEK.indexOf(present[j]!) + 1) {
      j += 1;
    }
    if (j - i >= 2) {
      parts.push(`${present[i]}–${present[j]}`);
    } else {
      parts.push(...present.slice(i, j + 1));
    }
    i = j + 1;
  }
  return parts.join(', ');
}

/** `mon–fri 09:00–16:00 UTC` */
export function changeWindowText(window: ChangeWindow): string {
  return `${dayRanges(window.days)} ${window.start}–${window.end} ${window.timezone}`;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * `2026-12-20T00:00:00Z` → `2026-12-20 00:00 UTC`, keeping the offset the
 * configuration was written in (no conversion to the viewer's time zone).
 */
export function timestampText(value: string): string {
  const match = RFC3339.exec(value);
  if (!match) return value;
  const [, date, time, offset] = match;
  const zone = offset === 'Z' || offset === 'z' ? 'UTC' : offset;
  return `${date} ${time} ${zone}`;
}

export function replicasText(replicas: number | null): string {
  return replicas === null ? MISSING : String(replicas);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How long ago `at` (RFC 3339) was, seen from `now` (ms since the epoch):
 * `just now`, `3 min ago`, `2 h ago`, `4 d ago`. Coarse on purpose: the view
 * refreshes it about every 30 s. A time slightly ahead of the local clock
 * (skew between machines) reads as `just now`.
 */
export function relativeTime(at: string, now: number): string {
  const then = Date.parse(at);
  if (Number.isNaN(then)) return at;
  const elapsed = now - then;
  if (elapsed < MINUTE) return 'just now';
  if (elapsed < HOUR) return `${Math.floor(elapsed / MINUTE)} min ago`;
  if (elapsed < DAY) return `${Math.floor(elapsed / HOUR)} h ago`;
  return `${Math.floor(elapsed / DAY)} d ago`;
}

/** 0.5 → `50%`, clamped to 0–100 and rounded down so an unfinished rollout never reads 100%. */
export function percentText(fraction: number): string {
  return `${percent(fraction)}%`;
}

export function percent(fraction: number): number {
  if (!Number.isFinite(fraction)) return 0;
  // The epsilon keeps 0.29 from reading 28% through floating-point error.
  return Math.floor(Math.min(1, Math.max(0, fraction)) * 100 + 1e-9);
}

/** 1234 → `1 234`: thousands set apart by a narrow no-break space, whatever the locale. */
export function countText(count: number): string {
  return Math.trunc(count)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** What a list of warnings leaves out: `and 1 older warning event`, `and 1 234 older warning events`. */
export function olderWarningsText(count: number): string {
  return `and ${countText(count)} older warning ${count === 1 ? 'event' : 'events'}`;
}

/** `1 commit`, `3 commits`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Whether `url` is a link the console will open: http(s), no white space (the backend refuses anything else). */
export function isWebUrl(url: string | null | undefined): url is string {
  if (!url || /\s/.test(url)) return false;
  return /^https?:\/\//i.test(url);
}
