// The window's one live store: the pipeline, the pushed Snapshot, the clock that
// relative times are computed against, and the session. Every screen reads the
// same instance from context, so switching screens never re-subscribes or loses
// what the console already pushed.
import { createContext } from 'svelte';
import { toUiError, type Backend } from './backend/backend';
import type { Pipeline, SessionInfo, Snapshot, UiError, Verification } from './bindings';

export type PipelineLoad =
  | { status: 'loading' }
  | { status: 'ready'; pipeline: Pipeline }
  | { status: 'failed'; error: UiError };

/** How often relative times ("3 min ago") are recomputed, in the world's time. */
export const CLOCK_TICK_MS = 30_000;
/** A fast demo clock still ticks no more often than this on screen. */
const FASTEST_TICK_MS = 1_000;

/** When a Snapshot arrived, on this computer's clock, and when the world generated it. */
export interface Arrival {
  generatedAt: string;
  /** ms since the epoch, this computer's clock. */
  receivedAt: number;
}

/**
 * The time in the world the Snapshot describes (ms since the epoch). The demo world runs on a
 * simulated clock that may start elsewhere and run faster (`demoSpeed`), so its times are
 * measured from the Snapshot's own `generatedAt`, advanced by the real time since it arrived
 * times the speed. Real clusters share this computer's clock.
 */
export function worldNow(wall: number, arrival: Arrival | null, session: SessionInfo | null): number {
  if (!session?.demo || arrival === null) return wall;
  const generated = Date.parse(arrival.generatedAt);
  if (Number.isNaN(generated)) return wall;
  return generated + (wall - arrival.receivedAt) * (session.demoSpeed ?? 1);
}

/** How long until relative times are recomputed: sooner when the demo clock runs fast. */
export function tickInterval(session: SessionInfo | null): number {
  const speed = session?.demo ? (session.demoSpeed ?? 1) : 1;
  return speed > 1 ? Math.max(FASTEST_TICK_MS, CLOCK_TICK_MS / speed) : CLOCK_TICK_MS;
}

export class LiveStore {
  pipeline = $state.raw<PipelineLoad>({ status: 'loading' });
  /** Whatever the console last pushed; `null` until the first Snapshot. */
  snapshot = $state.raw<Snapshot | null>(null);
  /** Each environment's latest verification after a promotion, as the console pushed it. */
  verifications = $state.raw<Verification[]>([]);
  /** Live state could not be requested at all. */
  liveError = $state.raw<UiError | null>(null);
  /** This computer's clock, as last ticked: for times the console stamps itself (a source's last event). */
  wallNow = $state(Date.now());
  #arrival = $state.raw<Arrival | null>(null);
  /** `null` until getSession answers. */
  session = $state.raw<SessionInfo | null>(null);
  sessionError = $state.raw<UiError | null>(null);

  readonly #backend: Backend;
  // Only the latest request may settle the pipeline (a retry can overtake a slow first load).
  #latest = 0;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** The clock the Snapshot's times (deploys, pods, Helm revisions) are read against; see `worldNow`. */
  get now(): number {
    return worldNow(this.wallNow, this.#arrival, this.session);
  }

  /** The latest verification of `environment`, running or over; `null` when none ran. */
  verificationOf(environment: string): Verification | null {
    return this.verifications.find((v) => v.environment === environment) ?? null;
  }

  /** No Snapshot yet, and no error asking for one. */
  get connecting(): boolean {
    return this.snapshot === null && this.liveError === null;
  }

  get readyPipeline(): Pipeline | null {
    return this.pipeline.status === 'ready' ? this.pipeline.pipeline : null;
  }

  /** The signed-in person's GitHub login, if anyone is signed in. */
  get login(): string | null {
    return this.session?.account?.login ?? null;
  }

  load = async (): Promise<void> => {
    const request = ++this.#latest;
    this.pipeline = { status: 'loading' };
    try {
      const pipeline = await this.#backend.loadPipeline();
      if (request === this.#latest) this.pipeline = { status: 'ready', pipeline };
    } catch (reason) {
      if (request === this.#latest) this.pipeline = { status: 'failed', error: toUiError(reason) };
    }
  };

  loadSession = async (): Promise<void> => {
    try {
      this.setSession(await this.#backend.getSession());
    } catch (reason) {
      this.sessionError = toUiError(reason);
    }
  };

  /** The session as a call (sign-in, demo switch, speed) answered it. */
  setSession = (session: SessionInfo): void => {
    const previous = this.session;
    this.session = session;
    this.sessionError = null;
    // Switching between the demo world and the configured clusters, or pointing an environment
    // at another kube context, changes the pipeline too.
    if (previous !== null && (previous.demo !== session.demo || contextsOf(previous) !== contextsOf(session))) {
      void this.load();
    }
  };

  /**
   * Loads the pipeline and the session, listens to pushed Snapshots and ticks the
   * clock. Returns the function that stops all of it (call from an $effect).
   */
  start(): () => void {
    let closed = false;
    let unsubscribe: (() => void) | null = null;
    let stopVerifications: (() => void) | null = null;
    const backend = this.#backend;

    void this.load();
    void this.loadSession();

    const receive = (next: Snapshot): void => {
      if (closed) return;
      const receivedAt = Date.now();
      this.snapshot = next;
      this.#arrival = { generatedAt: next.generatedAt, receivedAt };
      this.liveError = null;
      this.wallNow = receivedAt;
    };

    // Listen first, then ask for the current state, so no push can fall in between;
    // a pushed Snapshot newer than the answer wins.
    backend
      .onSnapshot(receive)
      .then(async (stop) => {
        if (closed) {
          stop();
          return;
        }
        unsubscribe = stop;
        const current = await backend.getSnapshot();
        if (current && (this.snapshot === null || current.sequence > this.snapshot.sequence)) receive(current);
      })
      .catch((reason: unknown) => {
        if (!closed) this.liveError = toUiError(reason);
      });

    backend
      .onVerifications((next) => {
        if (!closed) this.verifications = next;
      })
      .then((stop) => {
        if (closed) stop();
        else stopVerifications = stop;
      })
      .catch(() => undefined);

    // Checked every second, so a change of demo speed takes effect at once; relative times
    // move only when a tick's worth of time has passed.
    const timer = setInterval(() => {
      const wall = Date.now();
      if (wall - this.wallNow >= tickInterval(this.session)) this.wallNow = wall;
    }, FASTEST_TICK_MS);

    return () => {
      closed = true;
      clearInterval(timer);
      unsubscribe?.();
      stopVerifications?.();
    };
  }
}

export const [getLive, setLive] = createContext<LiveStore>();

/** Where each environment runs, as one comparable string. */
function contextsOf(session: SessionInfo): string {
  return session.contexts.map((c) => `${c.environment}=${c.kubeContext}`).join('\n');
}
