// The Backend as served by the Tauri shell (src-tauri/src/commands.rs).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type {
  Attempt,
  AuditExport,
  EvidenceExport,
  ChainReport,
  DeviceCode,
  History,
  Replay,
  LinkDecision,
  Metrics,
  Outcome,
  Pipeline,
  ProgressLine,
  Review,
  RollbackPlan,
  SessionInfo,
  Snapshot,
  SnapshotUpdate,
  ValueEntry,
  Verification,
} from '../bindings';
import { toUiError, type Backend } from './backend';
import { applyUpdate } from './snapshot-update';
import { epochNow, timeToDom } from '../snapshot-timing';

/** The event the shell emits with every new Snapshot. */
export const SNAPSHOT_EVENT = 'snapshot';
/** The event the shell emits with each line a running promotion's tool prints (`helm upgrade`). */
export const PROGRESS_EVENT = 'progress';
/** The event the shell emits with each environment's latest verification, whenever one changes. */
export const VERIFICATION_EVENT = 'verification';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toUiError(reason);
  }
}

async function subscribe<T>(event: string, listener: (payload: T) => void): Promise<() => void> {
  try {
    return await listen<T>(event, (received) => listener(received.payload));
  } catch (reason) {
    throw toUiError(reason);
  }
}

/**
 * Whole Snapshots from the shell's updates: each is completed with the last whole Snapshot,
 * or, when that is not the one it was made against, replaced by the shell's current one.
 */
function snapshots(
  listener: (snapshot: Snapshot) => void,
  current: () => Promise<Snapshot | null>,
): Promise<() => void> {
  let last: Snapshot | null = null;
  const deliver = (whole: Snapshot): boolean => {
    if (last !== null && whole.sequence <= last.sequence) return false;
    last = whole;
    listener(whole);
    return true;
  };
  return subscribe<SnapshotUpdate>(SNAPSHOT_EVENT, (update) => {
    const receivedAt = epochNow();
    const whole = applyUpdate(last, update);
    if (whole) {
      if (deliver(whole)) void timeToDom(whole.sequence, update.sentAt, receivedAt);
      return;
    }
    current()
      .then((whole) => {
        if (whole) deliver(whole);
      })
      .catch(() => {
        // The next update asks again; a failed read is not worth a banner.
      });
  });
}

export function createTauriBackend(): Backend {
  const getSnapshot = (): Promise<Snapshot | null> => call<Snapshot | null>('get_snapshot');
  return {
    loadPipeline: () => call<Pipeline>('load_pipeline'),
    getSnapshot,
    environmentValues: (environment) =>
      call<ValueEntry[]>('environment_values', { environment }),
    getSession: () => call<SessionInfo>('get_session'),
    signInWithToken: (token, sessionOnly) =>
      call<SessionInfo>('sign_in_with_token', { token, sessionOnly }),
    signInFromEnvironment: (sessionOnly) =>
      call<SessionInfo>('sign_in_from_environment', { sessionOnly }),
    startDeviceSignIn: () => call<DeviceCode>('start_device_sign_in'),
    finishDeviceSignIn: (sessionOnly) => call<SessionInfo>('finish_device_sign_in', { sessionOnly }),
    cancelDeviceSignIn: () => call<void>('cancel_device_sign_in'),
    signInAsDemoPerson: (login) => call<SessionInfo>('sign_in_as_demo_person', { login }),
    signOut: () => call<SessionInfo>('sign_out'),
    setDemo: (on) => call<SessionInfo>('set_demo', { on }),
    setDemoSpeed: (speed) => call<SessionInfo>('set_demo_speed', { speed }),
    setKubeContext: (environment, context) => call<SessionInfo>('set_kube_context', { environment, context }),
    // Argument names are the camelCase of the Rust parameters (`run_id` → `runId`).
    review: (environment, runId) => call<Review>('review', { environment, runId }),
    act: (request) => call<Outcome>('act', { request }),
    rollback: (environment, to) => call<Outcome>('rollback', { environment, to }),
    history: (environment) => call<History>('history', { environment }),
    replay: (correlation) => call<Replay>('replay', { correlation }),
    rollbackPlan: (environment, revision) => call<RollbackPlan>('rollback_plan', { environment, revision }),
    metrics: (days) => call<Metrics>('metrics', { days }),
    audit: (filter) => call<Attempt[]>('audit', { filter }),
    exportAudit: (format) => call<AuditExport>('export_audit', { format }),
    verifyAudit: () => call<ChainReport>('verify_audit'),
    exportEvidence: (attempt) => call<EvidenceExport>('export_evidence', { attempt }),
    openEvidence: (path) => call<void>('open_evidence', { path }),
    openUrl: (url, confirmed) => call<LinkDecision>('open_url', { url, confirmed }),
    setAttention: (count) => call<void>('set_attention', { count }),
    notify: (title, body) => call<void>('notify', { title, body }),
    setFullscreen: (on) => call<void>('set_fullscreen', { on }),
    onSnapshot: (listener) => snapshots(listener, getSnapshot),
    onProgress: (listener) => subscribe<ProgressLine>(PROGRESS_EVENT, listener),
    onVerifications: (listener) => subscribe<Verification[]>(VERIFICATION_EVENT, listener),
  };
}
