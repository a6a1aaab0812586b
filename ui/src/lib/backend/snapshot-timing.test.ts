import { describe, expect, it } from 'vitest';
import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { tick } from 'svelte';
import { createTauriBackend, SNAPSHOT_EVENT } from './tauri';
import { epochNow, snapshotTimings, timeToDom, TIMINGS_KEPT } from '../snapshot-timing';
import { tbyteSnapshot } from '../../test/fixtures';

describe('snapshot timings', () => {
  it('times each delivered Snapshot from when the console sent it to when the DOM showed it', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true });
    await createTauriBackend().onSnapshot(() => undefined);
    const sentAt = epochNow() - 5;
    await emit(SNAPSHOT_EVENT, { snapshot: tbyteSnapshot(41), base: null, sameWorkloads: [], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [], sentAt });
    // An older one arriving late is not delivered, so not timed either.
    await emit(SNAPSHOT_EVENT, { snapshot: tbyteSnapshot(40), base: null, sameWorkloads: [], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [], sentAt });
    await tick();
    const timed = snapshotTimings().filter((t) => t.sequence === 41 || t.sequence === 40);
    expect(timed.map((t) => t.sequence)).toEqual([41]);
    const [t] = timed;
    expect(t?.sentAt).toBe(sentAt);
    expect(t?.receivedAt).toBeGreaterThanOrEqual(sentAt);
    expect(t?.domAt).toBeGreaterThanOrEqual(t?.receivedAt ?? Infinity);
  });

  it('keeps only the latest ones', async () => {
    const now = epochNow();
    await Promise.all(Array.from({ length: TIMINGS_KEPT + 10 }, (_, i) => timeToDom(1_000 + i, now, now)));
    const kept = snapshotTimings();
    expect(kept.length).toBe(TIMINGS_KEPT);
    expect(kept.at(-1)?.sequence).toBe(1_000 + TIMINGS_KEPT + 9);
  });
});
