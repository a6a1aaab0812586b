// In-app routing without a router: the screen shown is state, and Back (or
// Escape) returns to the screen before it.
import { createContext } from 'svelte';

export type Route =
  | { screen: 'pipeline' }
  | { screen: 'inbox' }
  | { screen: 'audit' }
  | { screen: 'metrics' }
  | { screen: 'settings' }
  | { screen: 'present' }
  /** A recorded rollout played back full screen, by its attempt's correlation. */
  | { screen: 'replay'; correlation: string }
  | { screen: 'environment'; name: string }
  /** `runId`: the waiting deploy run to review first (the console picks when absent). */
  | { screen: 'review'; environment: string; runId?: number | null };

export type Screen = Route['screen'];

export function sameRoute(a: Route, b: Route): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class Navigator {
  route = $state.raw<Route>({ screen: 'pipeline' });
  /** Routes to return to, most recent last. */
  #history: Route[] = [];

  get canGoBack(): boolean {
    return this.route.screen !== 'pipeline';
  }

  go = (route: Route): void => {
    if (sameRoute(route, this.route)) return;
    if (route.screen === 'pipeline') {
      this.#history = [];
    } else {
      this.#history.push(this.route);
    }
    this.route = route;
  };

  /** The screen before this one; the pipeline when there is none. */
  back = (): void => {
    this.route = this.#history.pop() ?? { screen: 'pipeline' };
  };
}

export const [getNavigator, setNavigator] = createContext<Navigator>();
