import { describe, expect, it } from 'vitest';
import { kubernetesSource, pod, tbytePipeline, tbyteSnapshot, workload, environmentState as liveEnvironment } from '../test/fixtures';
import { barFraction, clusterSource, environmentState, failingPods, gateState, readyCount } from './live';

describe('live', () => {
  it('matches environments and gates by name', () => {
    const snapshot = tbyteSnapshot();
    expect(environmentState(snapshot, 'staging')?.version?.label).toBe('bbb2222');
    expect(environmentState(snapshot, 'qa')).toBeNull();
    expect(environmentState(null, 'staging')).toBeNull();
    expect(gateState(snapshot, 'production')?.from).toBe('staging');
    expect(gateState(snapshot, 'staging')).toBeNull();
  });

  it('finds the cluster source of an environment by its kube context', () => {
    const snapshot = tbyteSnapshot();
    const [dev, , production] = tbytePipeline().environments;
    expect(clusterSource(snapshot, dev!)?.name).toBe('kubernetes (kind-tbyte)');
    expect(clusterSource(snapshot, production!)?.name).toBe('kubernetes (prod-eks)');
    expect(clusterSource(null, dev!)).toBeNull();

    // Named differently: the only cluster source, else a disconnected one.
    snapshot.sources = [kubernetesSource('elsewhere')];
    expect(clusterSource(snapshot, dev!)?.name).toBe('kubernetes (elsewhere)');
    snapshot.sources = [kubernetesSource('a'), kubernetesSource('b', { connected: false })];
    expect(clusterSource(snapshot, dev!)?.name).toBe('kubernetes (b)');
    snapshot.sources = [kubernetesSource('a'), kubernetesSource('b')];
    expect(clusterSource(snapshot, dev!)).toBeNull();
  });

  it('sums replicas over workloads and fills the bar with the rollout while one runs', () => {
    const state = liveEnvironment('staging', 'bbb2222', 2, {
      workloads: [workload(1, 2), workload(3, 3, { name: 'worker' })],
    });
    expect(readyCount(state)).toEqual({ ready: 4, desired: 5 });
    expect(barFraction(state)).toBeCloseTo(0.8);
    expect(barFraction({ ...state, rollout: { progress: 0.25, from: null, to: null, stalled: false } })).toBe(0.25);
    expect(barFraction({ ...state, workloads: [] })).toBe(0);
  });

  it('lists the pods that say why they fail', () => {
    const state = liveEnvironment('staging', 'bbb2222', 2, {
      workloads: [
        workload(1, 2, { pods: [pod('a'), pod('b', { reason: 'ImagePullBackOff' })] }),
        workload(0, 1, { name: 'worker', pods: [pod('c', { reason: 'CrashLoopBackOff' })] }),
      ],
    });
    expect(failingPods(state).map((p) => p.name)).toEqual(['b', 'c']);
  });
});
