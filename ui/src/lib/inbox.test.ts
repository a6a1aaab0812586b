import { describe, expect, it } from 'vitest';
import type { InboxItem } from './bindings';
import { InboxTracker } from './inbox';
import { inboxItem } from '../test/fixtures';

describe('inbox tracker', () => {
  const item = (id: string): InboxItem => inboxItem({ id });

  it('counts from the start and announces only what arrives later, once', () => {
    const tracker = new InboxTracker<InboxItem>();
    expect(tracker.update([item('x')], 'alice')).toEqual({ count: 1, fresh: [] });
    expect(tracker.update([item('x')], 'alice')).toEqual({ count: null, fresh: [] });
    expect(tracker.update([item('x'), item('y')], 'alice')).toEqual({ count: 2, fresh: [item('y')] });
    expect(tracker.update([item('x'), item('y')], 'alice')).toEqual({ count: null, fresh: [] });
    expect(tracker.update([item('y')], 'alice')).toEqual({ count: 1, fresh: [] });
    // x came back: announced again.
    expect(tracker.update([item('x'), item('y')], 'alice')).toEqual({ count: 2, fresh: [item('x')] });
  });

  it('takes a new baseline when someone else signs in', () => {
    const tracker = new InboxTracker<InboxItem>();
    tracker.update([], null);
    expect(tracker.update([item('x')], 'alice')).toEqual({ count: 1, fresh: [] });
    expect(tracker.update([item('x'), item('z')], 'alice').fresh).toEqual([item('z')]);
    expect(tracker.update([item('x'), item('z')], 'bob')).toEqual({ count: null, fresh: [] });
  });
});
