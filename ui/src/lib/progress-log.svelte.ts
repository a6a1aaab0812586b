// The lines a running promotion's tool prints (`helm upgrade`, `helm rollback`), as the
// console streams them (Backend.onProgress), kept for the one environment being acted on.
import type { ProgressLine } from './bindings';

/** How many of the latest lines are kept on screen. */
export const PROGRESS_LOG_LIMIT = 200;

export interface LoggedLine {
  /** 1 for the first line since the log started: stable, for keyed lists. */
  number: number;
  text: string;
}

export class ProgressLog {
  /** The environment whose lines are kept; `null` until an action starts. */
  environment = $state<string | null>(null);
  /** The latest lines, oldest first, at most `PROGRESS_LOG_LIMIT`. */
  lines = $state.raw<LoggedLine[]>([]);
  /** Every line kept since the log started, including those dropped off the top. */
  received = $state(0);

  readonly #limit: number;

  constructor(limit = PROGRESS_LOG_LIMIT) {
    this.#limit = limit;
  }

  /** A new action in `environment` starts: what the last one printed is cleared. */
  start(environment: string): void {
    this.environment = environment;
    this.lines = [];
    this.received = 0;
  }

  /** Keeps `line` if it is about the environment acted on; any other is not this screen's. */
  take(line: ProgressLine): void {
    if (this.environment === null || line.environment !== this.environment) return;
    this.received += 1;
    const next = [...this.lines, { number: this.received, text: line.line }];
    this.lines = next.length > this.#limit ? next.slice(next.length - this.#limit) : next;
  }

  /** Lines were printed and not all are still shown. */
  get dropped(): number {
    return this.received - this.lines.length;
  }
}
