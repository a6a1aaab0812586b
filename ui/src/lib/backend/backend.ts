// The one seam between the UI and whatever serves it data. Components never
// talk to Tauri directly: they get a Backend from context (see context.ts),
// so tests can hand them a fake one.
import type {
  ActRequest,
  Attempt,
  AttemptFilter,
  AuditExport,
  ChainReport,
  DeviceCode,
  EvidenceExport,
  ExportFormat,
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
  UiError,
  ValueEntry,
  Verification,
} from '../bindings';

export interface Backend {
  /** The validated pipeline configuration. Rejects with a UiError. */
  loadPipeline(): Promise<Pipeline>;
  /** The latest live state, or `null` until the console has built its first one. Rejects with a UiError. */
  getSnapshot(): Promise<Snapshot | null>;
  /**
   * Calls `listener` with every Snapshot the console pushes from now on.
   * Resolves to the function that stops listening.
   */
  onSnapshot(listener: (snapshot: Snapshot) => void): Promise<() => void>;
  /**
   * Calls `listener` with every line the tool of a running promotion or rollback prints
   * (`helm upgrade`, `helm rollback`), for whichever environment it runs in: filter by
   * `line.environment`. Resolves to the function that stops listening.
   */
  onProgress(listener: (line: ProgressLine) => void): Promise<() => void>;
  /**
   * Calls `listener` with each environment's latest verification after a promotion, whenever
   * one changes (while it runs, every second). Resolves to the function that stops listening.
   */
  onVerifications(listener: (verifications: Verification[]) => void): Promise<() => void>;

  /** The environment's Helm values file, flattened to dotted keys, sorted. */
  environmentValues(environment: string): Promise<ValueEntry[]>;

  // Session and sign-in. Every call resolves to the session as it now is; none ever carries
  // a token back to the window.
  getSession(): Promise<SessionInfo>;
  /** Checks the pasted token with GitHub, then keeps it in the keychain (or memory only). */
  signInWithToken(token: string, sessionOnly: boolean): Promise<SessionInfo>;
  /** Imports GH_TOKEN / GITHUB_TOKEN from Sluice's environment. */
  signInFromEnvironment(sessionOnly: boolean): Promise<SessionInfo>;
  /** Starts GitHub's device flow and opens the browser; then call finishDeviceSignIn. */
  startDeviceSignIn(): Promise<DeviceCode>;
  /** Waits until the person entered the code (or it expired / was denied). */
  finishDeviceSignIn(sessionOnly: boolean): Promise<SessionInfo>;
  /** Stops waiting for the device sign-in: finishDeviceSignIn rejects with `signin.cancelled`. */
  cancelDeviceSignIn(): Promise<void>;
  /** Demo only: act as one of the simulated people. */
  signInAsDemoPerson(login: string): Promise<SessionInfo>;
  signOut(): Promise<SessionInfo>;
  /** Switches between the built-in demo world and the configured clusters. */
  setDemo(on: boolean): Promise<SessionInfo>;
  /** Demo only: how fast the simulated world's clock runs (1 = real time). */
  setDemoSpeed(speed: number): Promise<SessionInfo>;
  /** On this machine, reads `environment` through another kube context; `null` goes back to the pipeline file's. */
  setKubeContext(environment: string, context: string | null): Promise<SessionInfo>;

  // Promotions: the same use cases as `sluice promote` / `sluice rollback`.
  /**
   * What promoting into `environment` would ship, and whether the signed-in person may.
   * `runId` picks one of several waiting deploy runs; `null` lets the console choose.
   */
  review(environment: string, runId: number | null): Promise<Review>;
  /**
   * Approves (or carries out) or rejects what a review showed: `request.pin` is that review's
   * pin, so the console refuses when the release changed since. Resolves when the promotion
   * finished or failed.
   */
  act(request: ActRequest): Promise<Outcome>;
  /**
   * Rolls `environment` back to `to` (a revision of its history), or to its previous revision
   * when `null`; resolves when done or failed.
   */
  rollback(environment: string, to: number | null): Promise<Outcome>;
  /** What `environment` ran, revision by revision, newest first (the same as `sluice history`). */
  history(environment: string): Promise<History>;
  /** The rollout recorded while attempt `correlation` ran, for replay in presentation mode. */
  replay(correlation: string): Promise<Replay>;
  /** What rolling `environment` back to `revision` would change, and whether it can. */
  rollbackPlan(environment: string, revision: number): Promise<RollbackPlan>;
  /** DORA metrics of every environment over the `days` before now (the same as `sluice metrics`). */
  metrics(days: number): Promise<Metrics>;

  // Audit journal.
  /** The journal's attempts the filter keeps, newest first (grouped and filtered by the console). */
  audit(filter: AttemptFilter): Promise<Attempt[]>;
  /** Writes the whole journal to a file in the downloads folder. */
  exportAudit(format: ExportFormat): Promise<AuditExport>;
  /** Whether every line follows the one before and the journal still ends with its anchored head. */
  verifyAudit(): Promise<ChainReport>;
  /** Writes the evidence of one attempt (by its id) to the downloads folder: a self-contained page and its JSON. */
  exportEvidence(attempt: string): Promise<EvidenceExport>;
  /** Shows an exported evidence page, once it verified, in a window of the app's own. */
  openEvidence(path: string): Promise<void>;

  // The desktop around the window.
  /**
   * Opens an http(s) link in the person's browser when the console says it may: at once for
   * the configured GitHub's pages, else it answers `confirm` and opens only when asked again
   * with `confirmed` (see lib/links.ts).
   */
  openUrl(url: string, confirmed: boolean): Promise<LinkDecision>;
  /** Shows `count` things waiting on the person in the window title. */
  setAttention(count: number): Promise<void>;
  /** An OS notification. */
  notify(title: string, body: string): Promise<void>;
  setFullscreen(on: boolean): Promise<void>;
}

export function isUiError(value: unknown): value is UiError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.code === 'string' &&
    typeof candidate.message === 'string' &&
    typeof candidate.hint === 'string'
  );
}

/**
 * Turns anything a backend call may reject with into the UI's one error shape,
 * so the error panel never has to guess.
 */
export function toUiError(reason: unknown): UiError {
  if (isUiError(reason)) return reason;
  let message: string;
  if (typeof reason === 'string') {
    message = reason;
  } else if (reason instanceof Error) {
    message = reason.message;
  } else {
    try {
      message = JSON.stringify(reason) ?? String(reason);
    } catch {
      message = String(reason);
    }
  }
  return {
    code: 'internal',
    message: message || 'Unknown error',
    hint: 'This is unexpected. Restart Sluice; if it happens again, report it with this message.',
  };
}
