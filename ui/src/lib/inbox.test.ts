import { describe, expect, it } from 'vitest';
import type { Snapshot } from './bindings';
import { InboxTracker, inboxItems, notification, type InboxItem } from './inbox';
import { productionGate, tbytePipeline, tbyteSnapshot } from '../test/fixtures';

function withGate(gate: ReturnType<typeof productionGate>): Snapshot {
  return { ...tbyteSnapshot(), gates: [gate] };
}

const run = (currentUserCanApprove: boolean) => ({ runId: 77, sha: 'bbb2222', actor: 'bob', currentUserCanApprove });

describe('inbox rule', () => {
  it('is empty when signed out or before live state', () => {
    const snapshot = withGate(productionGate({ waitingRun: run(true) }));
    expect(inboxItems(tbytePipeline(), snapshot, null)).toEqual([]);
    expect(inboxItems(tbytePipeline(), null, 'alice')).toEqual([]);
    expect(inboxItems(null, snapshot, 'alice')).toEqual([]);
  });

  it('holds a waiting run GitHub says the person may approve, whatever else is unmet', () => {
    const items = inboxItems(tbytePipeline(), withGate(productionGate({ waitingRun: run(true) })), 'carol');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      id: 'production:run:77',
      environment: 'production',
      from: 'staging',
      fromVersion: 'aaa1111',
      toVersion: 'bbb2222',
      commits: 3,
      pullRequests: 1,
      why: 'waiting-run',
      actor: 'bob',
    });
    expect(inboxItems(tbytePipeline(), withGate(productionGate({ waitingRun: run(false) })), 'carol')).toEqual([]);
  });

  it('holds a gate for a named reviewer only when nothing but the review is missing', () => {
    const reviewersOnly = productionGate({
      conditions: [
        { kind: 'checks', met: true, reason: 'passed' },
        { kind: 'reviewers', met: false, reason: 'needs @alice' },
      ],
    });
    // alice is a reviewer user of the production gate in the fixture pipeline.
    expect(inboxItems(tbytePipeline(), withGate(reviewersOnly), 'alice').map((i) => i.id)).toEqual([
      'production:version:bbb2222',
    ]);
    expect(inboxItems(tbytePipeline(), withGate(reviewersOnly), '@Alice')).toHaveLength(1);
    // Not a named user (teams are not resolved).
    expect(inboxItems(tbytePipeline(), withGate(reviewersOnly), 'dave')).toEqual([]);
    // Still soaking: waits on time, not on alice.
    expect(inboxItems(tbytePipeline(), withGate(productionGate()), 'alice')).toEqual([]);
    // Nothing new to ship.
    const same = productionGate({
      conditions: [],
      pending: { ...productionGate().pending, toVersion: 'aaa1111' },
    });
    expect(inboxItems(tbytePipeline(), withGate(same), 'alice')).toEqual([]);
  });

  it('words a notification', () => {
    const [item] = inboxItems(tbytePipeline(), withGate(productionGate({ waitingRun: run(true) })), 'carol');
    expect(notification(item!)).toEqual({
      title: 'Waiting on you: production',
      body: 'Promote bbb2222 from staging to production (3 commits), started by @bob.',
    });
  });
});

describe('inbox tracker', () => {
  const item = (id: string): InboxItem => ({
    id,
    environment: 'production',
    from: 'staging',
    fromVersion: 'a',
    toVersion: 'b',
    commits: 1,
    pullRequests: 0,
    why: 'waiting-run',
    runId: 1,
    actor: null,
  });

  it('counts from the start and announces only what arrives later, once', () => {
    const tracker = new InboxTracker();
    expect(tracker.update([item('x')], 'alice')).toEqual({ count: 1, fresh: [] });
    expect(tracker.update([item('x')], 'alice')).toEqual({ count: null, fresh: [] });
    expect(tracker.update([item('x'), item('y')], 'alice')).toEqual({ count: 2, fresh: [item('y')] });
    expect(tracker.update([item('x'), item('y')], 'alice')).toEqual({ count: null, fresh: [] });
    expect(tracker.update([item('y')], 'alice')).toEqual({ count: 1, fresh: [] });
    // x came back: announced again.
    expect(tracker.update([item('x'), item('y')], 'alice')).toEqual({ count: 2, fresh: [item('x')] });
  });

  it('takes a new baseline when someone else signs in', () => {
    const tracker = new InboxTracker();
    tracker.update([], null);
    expect(tracker.update([item('x')], 'alice')).toEqual({ count: 1, fresh: [] });
    expect(tracker.update([item('x'), item('z')], 'alice').fresh).toEqual([item('z')]);
  });
});
