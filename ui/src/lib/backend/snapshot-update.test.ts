import { describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotUpdate } from '../bindings';
import { tbyteSnapshot } from '../../test/fixtures';
import { applyUpdate } from './snapshot-update';

function withSequence(s: Snapshot, sequence: number): Snapshot {
  return { ...s, sequence };
}

describe('applyUpdate', () => {
  const first = tbyteSnapshot(7);
  const [dev, ...rest] = first.environments;
  if (!dev) throw new Error('the fixture has environments');

  it('takes an update with nothing left out as it is', () => {
    const update: SnapshotUpdate = { snapshot: first, base: null, sameWorkloads: [], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [], sentAt: 0 };
    expect(applyUpdate(null, update)).toBe(first);
  });

  it('fills the environments left out with the workloads received before', () => {
    const next: Snapshot = {
      ...withSequence(first, 8),
      environments: [{ ...dev, workloads: [], healthReason: 'changed elsewhere' }, ...rest],
    };
    const whole = applyUpdate(first, { snapshot: next, base: 7, sameWorkloads: [dev.name], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [], sentAt: 0 });
    expect(whole?.sequence).toBe(8);
    expect(whole?.environments[0]?.workloads).toEqual(dev.workloads);
    expect(whole?.environments[0]?.healthReason).toBe('changed elsewhere');
    expect(whole?.environments.slice(1)).toEqual(rest);
  });

  it('fills the gates left out with the image changes received before', () => {
    const [gate, ...otherGates] = first.gates;
    if (!gate) throw new Error('the fixture has gates');
    const change = { workload: 'tbyte-staging-api', container: 'api', sourceWorkload: 'tbyte-dev-api', from: 'api:a', to: 'api:b' };
    const before: Snapshot = { ...first, gates: [{ ...gate, pending: { ...gate.pending, imageChanges: [change] } }, ...otherGates] };
    const next: Snapshot = {
      ...withSequence(first, 8),
      gates: [{ ...gate, statusLabel: 'blocked', pending: { ...gate.pending, imageChanges: [] } }, ...otherGates],
    };
    const whole = applyUpdate(before, { snapshot: next, base: 7, sameWorkloads: [], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [gate.environment], sentAt: 0 });
    expect(whole?.gates[0]?.pending.imageChanges).toEqual([change]);
    expect(whole?.gates[0]?.statusLabel).toBe('blocked');
    expect(whole?.gates.slice(1)).toEqual(otherGates);
    expect(whole?.environments).toEqual(next.environments);
  });

  it('fills an environment changed in part with the workloads that did not change', () => {
    const api = dev.workloads[0];
    if (!api) throw new Error('the fixture has workloads');
    const web = { ...api, name: 'tbyte-dev-web', component: 'web' };
    const worker = { ...api, name: 'tbyte-dev-worker', component: 'worker' };
    const before: Snapshot = { ...first, environments: [{ ...dev, workloads: [api, web, worker] }, ...rest] };
    // web turned over; api and worker stay behind, and a new workload arrives.
    const webNow = { ...web, ready: 0 };
    const jobs = { ...api, name: 'tbyte-dev-jobs', component: 'jobs' };
    const next: Snapshot = {
      ...withSequence(first, 8),
      environments: [{ ...dev, workloads: [webNow, jobs] }, ...rest],
    };
    const order = ['tbyte-dev-api', 'tbyte-dev-jobs', 'tbyte-dev-web', 'tbyte-dev-worker'];
    const whole = applyUpdate(before, {
      snapshot: next,
      base: 7,
      sameWorkloads: [],
      keptWorkloads: [{ environment: dev.name, order }],
      sameHelmHistory: [], sameVersionImages: [],
      sameImageChanges: [],
      sentAt: 0,
    });
    const workloads = whole?.environments[0]?.workloads ?? [];
    expect(workloads.map((w) => w.name)).toEqual(order);
    expect(workloads[0]).toBe(api);
    expect(workloads[1]).toBe(jobs);
    expect(workloads[2]?.ready).toBe(0);
    expect(workloads[3]).toBe(worker);
    // A workload in neither: the update was not made against what is held.
    expect(
      applyUpdate(before, {
        snapshot: next,
        base: 7,
        sameWorkloads: [],
        keptWorkloads: [{ environment: dev.name, order: [...order, 'tbyte-dev-gone'] }],
        sameHelmHistory: [], sameVersionImages: [],
        sameImageChanges: [],
        sentAt: 0,
      }),
    ).toBeNull();
  });

  it('fills the Helm history left out with the one received before', () => {
    const next: Snapshot = {
      ...withSequence(first, 8),
      environments: [{ ...dev, helmHistory: [] }, ...rest],
    };
    const whole = applyUpdate(first, {
      snapshot: next,
      base: 7,
      sameWorkloads: [],
      keptWorkloads: [],
      sameHelmHistory: [dev.name],
      sameVersionImages: [],
      sameImageChanges: [],
      sentAt: 0,
    });
    expect(dev.helmHistory.length).toBeGreaterThan(0);
    expect(whole?.environments[0]?.helmHistory).toBe(dev.helmHistory);
    expect(whole?.environments[0]?.workloads).toEqual(dev.workloads);
  });

  it("fills a version's images left out with those received before, and keeps the rest of the version sent", () => {
    if (dev.version === null) throw new Error('the fixture has a version in dev');
    const before = {
      ...dev.version,
      images: [{ workload: 'tbyte-dev-api', container: 'api', image: 'ghcr.io/tbyte-org/tbyte-api:c3dd97e', tag: 'c3dd97e', digest: null }],
    };
    const held: Snapshot = { ...first, environments: [{ ...dev, version: before }, ...rest] };
    const next: Snapshot = {
      ...withSequence(first, 8),
      environments: [{ ...dev, version: { ...before, title: 'retitled', images: [] } }, ...rest],
    };
    const update = { snapshot: next, base: 7, sameWorkloads: [], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [dev.name], sameImageChanges: [], sentAt: 0 };
    const whole = applyUpdate(held, update);
    expect(whole?.environments[0]?.version?.images).toBe(before.images);
    expect(whole?.environments[0]?.version?.title).toBe('retitled');
    // Left out against a Snapshot that had no version there: ask for the whole one.
    const noVersion: Snapshot = { ...first, environments: [{ ...dev, version: null }, ...rest] };
    expect(applyUpdate(noVersion, update)).toBeNull();
  });

  it('asks for the whole Snapshot when it holds another base', () => {
    const next = withSequence(first, 9);
    expect(applyUpdate(first, { snapshot: next, base: 8, sameWorkloads: [dev.name], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [], sentAt: 0 })).toBeNull();
    expect(applyUpdate(null, { snapshot: next, base: 8, sameWorkloads: [dev.name], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [], sentAt: 0 })).toBeNull();
  });
});
