// The one seam between the UI and whatever serves it data. Components never
// talk to Tauri directly: they get a Backend from context (see context.ts),
// so tests can hand them a fake one.
import type { Pipeline, Snapshot, UiError } from '../bindings';

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
