// The window receives each new Snapshot as an update against the one before it: environments
// whose workloads did not change come without them, environments where only some changed come
// with those alone, an unchanged Helm history and a version's unchanged images stay behind, and
// gates whose image changes did not change come without those (see
// src-tauri/crates/core/src/snapshot_update.rs).
import type { Snapshot, SnapshotUpdate, Workload } from '../bindings';

/**
 * The whole Snapshot `update` stands for, given the last whole one received; `null` when
 * `previous` is not the Snapshot the update was made against (then ask for the whole one).
 */
export function applyUpdate(previous: Snapshot | null, update: SnapshotUpdate): Snapshot | null {
  if (
    update.sameWorkloads.length === 0 &&
    update.keptWorkloads.length === 0 &&
    update.sameHelmHistory.length === 0 &&
    update.sameVersionImages.length === 0 &&
    update.sameImageChanges.length === 0
  ) {
    return update.snapshot;
  }
  if (previous === null || previous.sequence !== update.base) return null;
  const sameWorkloads = new Set(update.sameWorkloads);
  const workloadsBefore = new Map(previous.environments.map((e) => [e.name, e.workloads]));
  const kept = new Map(update.keptWorkloads.map((k) => [k.environment, k.order]));
  const sameHistory = new Set(update.sameHelmHistory);
  const historyBefore = new Map(previous.environments.map((e) => [e.name, e.helmHistory]));
  const sameVersionImages = new Set(update.sameVersionImages);
  const versionImagesBefore = new Map(previous.environments.map((e) => [e.name, e.version?.images]));
  const sameImages = new Set(update.sameImageChanges);
  const imagesBefore = new Map(previous.gates.map((g) => [g.environment, g.pending.imageChanges]));
  const environments = [];
  for (const sent of update.snapshot.environments) {
    let e = sameHistory.has(sent.name) ? { ...sent, helmHistory: historyBefore.get(sent.name) ?? [] } : sent;
    if (sameVersionImages.has(e.name) && e.version !== null) {
      const images = versionImagesBefore.get(e.name);
      if (images === undefined) return null;
      e = { ...e, version: { ...e.version, images } };
    }
    const order = kept.get(e.name);
    if (sameWorkloads.has(e.name)) {
      environments.push({ ...e, workloads: workloadsBefore.get(e.name) ?? [] });
    } else if (order !== undefined) {
      const workloads = inOrder(order, e.workloads, workloadsBefore.get(e.name) ?? []);
      if (workloads === null) return null;
      environments.push({ ...e, workloads });
    } else {
      environments.push(e);
    }
  }
  return {
    ...update.snapshot,
    environments,
    gates: update.snapshot.gates.map((g) =>
      sameImages.has(g.environment)
        ? { ...g, pending: { ...g.pending, imageChanges: imagesBefore.get(g.environment) ?? [] } }
        : g,
    ),
  };
}

/**
 * An environment's workloads named in `order`: those sent, else those received before (the
 * very same objects, so what shows them need not redraw); `null` if one is in neither.
 */
function inOrder(order: string[], sent: Workload[], before: Workload[]): Workload[] | null {
  const sentByName = new Map(sent.map((w) => [w.name, w]));
  const beforeByName = new Map(before.map((w) => [w.name, w]));
  const out: Workload[] = [];
  for (const name of order) {
    const w = sentByName.get(name) ?? beforeByName.get(name);
    if (w === undefined) return null;
    out.push(w);
  }
  return out;
}
