// What waits on the signed-in person. Pure: the shell feeds it the pipeline,
// the latest Snapshot and the login, and shows what it answers.
//
// The rule, kept simple on purpose:
//  1. A gate whose deploy run waits for a review GitHub says this person may give
//     (`waitingRun.currentUserCanApprove`) waits on them: GitHub is asking.
//  2. Otherwise a gate waits on them when it has something new to ship (a known
//     `toVersion` different from `fromVersion`), they are named among the gate's
//     reviewer users (teams are not resolved here: the UI cannot see membership),
//     and every unmet condition is one an approver resolves (the review itself):
//     a gate still soaking, outside its window or failing checks waits on time or
//     code, not on them.
import type { GateConditionKind, GateState, Pipeline, Snapshot } from './bindings';

/** Conditions an approver settles by approving. */
const RESOLVED_BY_APPROVER: readonly GateConditionKind[] = ['reviewers'];

export interface InboxItem {
  /** Stable while the same thing waits: a new version (or run) makes a new item. */
  id: string;
  environment: string;
  from: string;
  fromVersion: string | null;
  toVersion: string | null;
  commits: number;
  pullRequests: number;
  why: 'waiting-run' | 'reviewer';
  /** The deploy run's id, when GitHub has one waiting. */
  runId: number | null;
  /** Who started the waiting run. */
  actor: string | null;
}

function sameLogin(a: string, b: string): boolean {
  return a.replace(/^@/, '').toLowerCase() === b.replace(/^@/, '').toLowerCase();
}

function onlyApproverConditionsUnmet(gate: GateState): boolean {
  return gate.conditions.every((condition) => condition.met || RESOLVED_BY_APPROVER.includes(condition.kind));
}

function isReviewer(pipeline: Pipeline, environment: string, login: string): boolean {
  const gate = pipeline.environments.find((e) => e.name === environment)?.gate;
  return gate?.approval?.reviewers.users.some((user) => sameLogin(user, login)) ?? false;
}

export function inboxItems(pipeline: Pipeline | null, snapshot: Snapshot | null, login: string | null): InboxItem[] {
  if (!pipeline || !snapshot || !login) return [];
  const items: InboxItem[] = [];
  for (const gate of snapshot.gates) {
    const { pending, waitingRun } = gate;
    const base = {
      environment: gate.environment,
      from: gate.from,
      fromVersion: pending.fromVersion,
      toVersion: pending.toVersion,
      commits: pending.commits.length,
      pullRequests: pending.pullRequests.length,
    };
    if (waitingRun?.currentUserCanApprove) {
      items.push({
        ...base,
        id: `${gate.environment}:run:${waitingRun.runId}`,
        why: 'waiting-run',
        runId: waitingRun.runId,
        actor: waitingRun.actor,
      });
      continue;
    }
    const somethingNew = pending.toVersion !== null && pending.toVersion !== pending.fromVersion;
    if (somethingNew && isReviewer(pipeline, gate.environment, login) && onlyApproverConditionsUnmet(gate)) {
      items.push({
        ...base,
        id: `${gate.environment}:version:${pending.toVersion}`,
        why: 'reviewer',
        runId: null,
        actor: waitingRun?.actor ?? null,
      });
    }
  }
  return items;
}

/** The notification for an item that just started waiting. */
export function notification(item: InboxItem): { title: string; body: string } {
  const version = item.toVersion ?? 'a new version';
  const ahead = item.commits === 1 ? '1 commit' : `${item.commits} commits`;
  return {
    title: `Waiting on you: ${item.environment}`,
    body: `Promote ${version} from ${item.from} to ${item.environment} (${ahead})${item.actor ? `, started by @${item.actor}` : ''}.`,
  };
}

/**
 * Remembers what the person was already told. The first evaluation for a login is
 * the baseline (what already waited at start or at sign-in is counted, not
 * announced); after it, each item not seen before is announced once.
 */
export class InboxTracker {
  #login: string | null | undefined = undefined;
  #seen: Set<string> | null = null;
  #count: number | null = null;

  /**
   * `count` is set when the number waiting changed (or was never reported);
   * `fresh` lists the items to announce.
   */
  update(items: InboxItem[], login: string | null): { count: number | null; fresh: InboxItem[] } {
    if (login !== this.#login) {
      this.#login = login;
      this.#seen = null;
    }
    const count = items.length === this.#count ? null : items.length;
    this.#count = items.length;
    const ids = new Set(items.map((item) => item.id));
    const fresh = this.#seen === null ? [] : items.filter((item) => !this.#seen!.has(item.id));
    // Forget what stopped waiting, so it is announced again if it comes back.
    this.#seen = ids;
    return { count, fresh };
  }
}
