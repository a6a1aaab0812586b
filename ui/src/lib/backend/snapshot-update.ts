// The window receives each new Snapshot as an update against the one before it: environments
// whose workloads did not change come without them (see src-tauri/crates/core/src/snapshot_update.rs).
import type { Snapshot, SnapshotUpdate } from '../bindings';

/**
 * The whole Snapshot `update` stands for, given the last whole one received; `null` when
 * `previous` is not the Snapshot the update was made against (then ask for the whole one).
 */
export function applyUpdate(previous: Snapshot | null, update: SnapshotUpdate): Snapshot | null {
  if (update.sameWorkloads.length === 0) return update.snapshot;
  if (previous === null || previous.sequence !== update.base) return null;
  const same = new Set(update.sameWorkloads);
  const before = new Map(previous.environments.map((e) => [e.name, e.workloads]));
  return {
    ...update.snapshot,
    environments: update.snapshot.environments.map((e) =>
      same.has(e.name) ? { ...e, workloads: before.get(e.name) ?? [] } : e,
    ),
  };
}
