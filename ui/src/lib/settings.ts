// Wording for the Settings view. Pure functions over the session.
import type { Account, AuditProblem, EnvironmentContext, KeychainInfo, SessionInfo } from './bindings';

/** `Signed in as @alice (Alice Liddell)` */
export function signedInAs(account: Account): string {
  return `Signed in as @${account.login}${account.name ? ` (${account.name})` : ''}`;
}

/** Where the token is kept, and whether it outlives this session. */
export function tokenHomeText(account: Account): string {
  return account.sessionOnly
    ? `Your token is kept in ${account.tokenHome}. It is gone when Sluice closes.`
    : `Your token is kept in ${account.tokenHome}.`;
}

/** With no keychain, nothing may be persisted: every sign-in is for this session only. */
export function sessionOnlyForced(keychain: KeychainInfo): boolean {
  return !keychain.available;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Why sign-ins are not kept. In the demo world the keychain is set aside on purpose, not broken. */
export function keychainProblemText(keychain: KeychainInfo, demo = false): string {
  const why = keychain.problem ? ` ${keychain.problem}` : '';
  const head = demo
    ? (keychain.problem ?? 'The demo world keeps no tokens.')
    : `${capitalized(keychain.name)} is not available.${why}`;
  return `${head} A sign-in lasts for this session only.`;
}

/** What signing out does with the token. */
export function signOutText(account: Account): string {
  return account.sessionOnly
    ? 'Signing out forgets the token.'
    : `Signing out deletes the token from ${account.tokenHome}.`;
}

export function kubeconfigText(kubeconfig: string | null): string {
  return kubeconfig ?? '$KUBECONFIG or ~/.kube/config';
}

/**
 * The contexts an environment may be pointed at: the kubeconfig's, plus the one in use and the
 * pipeline file's even when the kubeconfig lacks them (so the select shows the truth).
 */
export function contextChoices(
  context: EnvironmentContext,
  kubeContexts: readonly string[],
): { name: string; label: string }[] {
  const names = [...kubeContexts];
  for (const name of [context.pipelineContext, context.kubeContext]) {
    if (!names.includes(name)) names.push(name);
  }
  return names.map((name) => {
    const notes = [
      name === context.pipelineContext ? 'pipeline file' : null,
      kubeContexts.includes(name) ? null : 'not in kubeconfig',
    ].filter((n) => n !== null);
    return { name, label: notes.length > 0 ? `${name} (${notes.join(', ')})` : name };
  });
}

/** `$GH_TOKEN` */
export function environmentTokenName(variable: string): string {
  return variable.startsWith('$') ? variable : `$${variable}`;
}

export const DEVICE_FLOW_UNAVAILABLE = 'No OAuth client id configured: set SLUICE_GITHUB_CLIENT_ID.';

/** The speeds offered for the demo world's clock, with the current one if it is not among them. */
export function demoSpeeds(current: number | null): number[] {
  const speeds = [1, 2, 5, 10, 30, 60];
  if (current !== null && Number.isFinite(current) && current > 0 && !speeds.includes(current)) {
    speeds.push(current);
    speeds.sort((a, b) => a - b);
  }
  return speeds;
}

/** `1× (real time)`, `10×` */
export function speedLabel(speed: number): string {
  return speed === 1 ? '1× (real time)' : `${speed}×`;
}

/** `line 12: checksum mismatch` */
export function journalProblemText(problem: AuditProblem): string {
  return `line ${problem.line}: ${problem.reason}`;
}

/** Someone is signed in. */
export function signedIn(session: SessionInfo): session is SessionInfo & { account: Account } {
  return session.account !== null;
}
