// How long each Snapshot takes from the console to the window's DOM. The window benchmark
// (tests/bench/window.mjs) reads these over WebDriver; they stay bounded, so a window left open
// for days holds no more than the last few.
import { tick } from 'svelte';

export interface SnapshotTiming {
  sequence: number;
  /** When the console sent it (ms since the epoch, this computer's clock). */
  sentAt: number;
  /** When the webview received it, same clock. */
  receivedAt: number;
  /** When the DOM showed it, same clock. */
  domAt: number;
}

export const TIMINGS_KEPT = 2_000;
const timings: SnapshotTiming[] = [];

/** This computer's clock in ms since the epoch, finer than `Date.now()`. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Times `sequence` once the state it was delivered into is in the DOM: Svelte applies state
 * changes on its next flush, which `tick()` waits for.
 */
export function timeToDom(sequence: number, sentAt: number, receivedAt: number): Promise<void> {
  return tick().then(() => {
    if (timings.push({ sequence, sentAt, receivedAt, domAt: epochNow() }) > TIMINGS_KEPT) timings.shift();
  });
}

/** The timings kept, oldest first. */
export function snapshotTimings(): readonly SnapshotTiming[] {
  return timings;
}

declare global {
  interface Window {
    /** For the window benchmark, over WebDriver. */
    sluiceSnapshotTimings?: () => readonly SnapshotTiming[];
  }
}
if (typeof window !== 'undefined') window.sluiceSnapshotTimings = snapshotTimings;
