// Reading the pushed Snapshot next to the configured pipeline. Pure functions:
// components ask these what to show, tests can check them without rendering.
import type {
  Environment,
  EnvironmentState,
  GateState,
  PodState,
  Snapshot,
  SourceState,
} from './bindings';

/** The live state of a configured environment, matched by name. */
export function environmentState(snapshot: Snapshot | null, name: string): EnvironmentState | null {
  return snapshot?.environments.find((state) => state.name === name) ?? null;
}

/** The live state of the gate into `environment`. */
export function gateState(snapshot: Snapshot | null, environment: string): GateState | null {
  return snapshot?.gates.find((gate) => gate.environment === environment) ?? null;
}

/**
 * The cluster source an environment is read from: the one named after its kube
 * context, else the only cluster source there is, else the first disconnected one.
 */
export function clusterSource(snapshot: Snapshot | null, environment: Environment): SourceState | null {
  if (!snapshot) return null;
  const clusters = snapshot.sources.filter((source) => source.kind === 'kubernetes');
  return (
    clusters.find((source) => source.name === `kubernetes (${environment.kubeContext})`) ??
    (clusters.length === 1 ? clusters[0]! : null) ??
    clusters.find((source) => !source.connected) ??
    null
  );
}

export interface ReadyCount {
  ready: number;
  desired: number;
}

/** Ready and desired replicas summed over the environment's workloads. */
export function readyCount(state: EnvironmentState): ReadyCount {
  let ready = 0;
  let desired = 0;
  for (const workload of state.workloads) {
    ready += workload.ready;
    desired += workload.desired;
  }
  return { ready, desired };
}

export interface WorkloadReadiness {
  /** What the workload implements in its release (`api`, not `tbyte-prod-api`), as Rust names it. */
  name: string;
  ready: number;
  desired: number;
}

/**
 * Ready and desired replicas of each workload: each Deployment has its own replica count, so
 * a sum (6/6 beside "replicas 3") would read as a contradiction.
 */
export function workloadReadiness(state: EnvironmentState): WorkloadReadiness[] {
  return state.workloads.map((workload) => ({
    name: workload.component || workload.name,
    ready: workload.ready,
    desired: workload.desired,
  }));
}

/** The share of the bar to fill: the rollout's progress while one runs, else ready/desired. */
export function barFraction(state: EnvironmentState): number {
  if (state.rollout) return state.rollout.progress;
  const { ready, desired } = readyCount(state);
  return desired === 0 ? 0 : ready / desired;
}

/** Pods that report why they are not running: the ones a release manager must look at. */
export function failingPods(state: EnvironmentState): PodState[] {
  return state.workloads.flatMap((workload) => workload.pods.filter((pod) => pod.reason !== null));
}
