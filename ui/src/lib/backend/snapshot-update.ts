// The window receives each new Snapshot as an update against the one before it: environments
// whose workloads did not change come without them, gates whose image changes did not, without
// those (see src-tauri/crates/core/src/snapshot_update.rs).
import type { Snapshot, SnapshotUpdate } from '../bindings';

/**
 * The whole Snapshot `update` stands for, given the last whole one received; `null` when
 * `previous` is not the Snapshot the update was made against (then ask for the whole one).
 */
export function applyUpdate(previous: Snapshot | null, update: SnapshotUpdate): Snapshot | null {
  if (update.sameWorkloads.length === 0 && update.sameImageChanges.length === 0) return update.snapshot;
  if (previous === null || previous.sequence !== update.base) return null;
  const sameWorkloads = new Set(update.sameWorkloads);
  const workloadsBefore = new Map(previous.environments.map((e) => [e.name, e.workloads]));
  const sameImages = new Set(update.sameImageChanges);
  const imagesBefore = new Map(previous.gates.map((g) => [g.environment, g.pending.imageChanges]));
  return {
    ...update.snapshot,
    environments: update.snapshot.environments.map((e) =>
      sameWorkloads.has(e.name) ? { ...e, workloads: workloadsBefore.get(e.name) ?? [] } : e,
    ),
    gates: update.snapshot.gates.map((g) =>
      sameImages.has(g.environment)
        ? { ...g, pending: { ...g.pending, imageChanges: imagesBefore.get(g.environment) ?? [] } }
        : g,
    ),
  };
}
