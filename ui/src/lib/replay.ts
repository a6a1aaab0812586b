// Playback of a recorded rollout: which recorded moment is shown at a position.
import type { ReplayFrame } from './bindings';

/** The last frame recorded at or before `positionMs` (the first before any), or null when there are none. */
export function frameAt(frames: readonly ReplayFrame[], positionMs: number): ReplayFrame | null {
  let lo = 0;
  let hi = frames.length - 1;
  if (hi < 0) return null;
  // Frames are in time order: a binary search keeps scrubbing smooth on long recordings.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (frames[mid]!.atMs <= positionMs) lo = mid;
    else hi = mid - 1;
  }
  return frames[lo]!;
}
