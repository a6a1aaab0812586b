import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeDesk, FakeLive, fakeBackend, sessionInfo, tbytePipeline, tbyteSnapshot } from '../test/fixtures';
import { CLOCK_TICK_MS, LiveStore, tickInterval, worldNow } from './live-store.svelte';

afterEach(() => {
  vi.useRealTimers();
});

const WALL = Date.parse('2026-11-26T10:00:00Z');
const arrival = { generatedAt: '2026-05-03T03:00:00Z', receivedAt: WALL };

describe('the clock relative times are read against', () => {
  it('is this computer\'s clock on real clusters', () => {
    const session = sessionInfo();
    expect(worldNow(WALL + 5_000, arrival, session)).toBe(WALL + 5_000);
    expect(worldNow(WALL, null, session)).toBe(WALL);
    expect(worldNow(WALL, arrival, null)).toBe(WALL);
  });

  it('is the demo world\'s own clock, advanced by the real time since the Snapshot times the speed', () => {
    const generated = Date.parse(arrival.generatedAt);
    expect(worldNow(WALL, arrival, sessionInfo({ demo: true, demoSpeed: 60 }))).toBe(generated);
    expect(worldNow(WALL + 10_000, arrival, sessionInfo({ demo: true, demoSpeed: 60 }))).toBe(generated + 600_000);
    expect(worldNow(WALL + 10_000, arrival, sessionInfo({ demo: true, demoSpeed: null }))).toBe(generated + 10_000);
    // A Snapshot without a readable time: fall back to this computer's clock.
    expect(worldNow(WALL, { ...arrival, generatedAt: 'soon' }, sessionInfo({ demo: true, demoSpeed: 1 }))).toBe(WALL);
  });

  it('ticks sooner when the demo clock runs fast, never more than once a second', () => {
    expect(tickInterval(null)).toBe(CLOCK_TICK_MS);
    expect(tickInterval(sessionInfo())).toBe(CLOCK_TICK_MS);
    expect(tickInterval(sessionInfo({ demo: true, demoSpeed: 10 }))).toBe(CLOCK_TICK_MS / 10);
    expect(tickInterval(sessionInfo({ demo: true, demoSpeed: 60 }))).toBe(1_000);
  });

  it('moves the store\'s `now` with the demo world between Snapshots', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(WALL);
    const desk = new FakeDesk();
    desk.session = sessionInfo({ demo: true, demoSpeed: 60 });
    const snapshot = { ...tbyteSnapshot(), generatedAt: arrival.generatedAt };
    const store = new LiveStore(fakeBackend(async () => tbytePipeline(), new FakeLive(snapshot), desk));
    const stop = store.start();
    // Microtasks only: the fake clock stands still while the store loads.
    for (let i = 0; i < 10 && (store.snapshot === null || store.session === null); i++) await Promise.resolve();
    expect(store.snapshot?.generatedAt).toBe(arrival.generatedAt);

    expect(store.now).toBe(Date.parse('2026-05-03T03:00:00Z'));
    vi.advanceTimersByTime(3_000);
    expect(store.now).toBe(Date.parse('2026-05-03T03:03:00Z'));
    expect(store.wallNow).toBe(WALL + 3_000);
    stop();
  });
});
