import { describe, expect, it } from 'vitest';
import { account, sessionInfo } from '../test/fixtures';
import {
  contextChoices,
  demoSpeeds,
  environmentTokenName,
  journalProblemText,
  keychainProblemText,
  kubeconfigText,
  sessionOnlyForced,
  signedIn,
  signedInAs,
  signOutText,
  speedLabel,
  tokenHomeText,
} from './settings';

describe('settings wording', () => {
  it('says who is signed in and where the token is kept', () => {
    expect(signedInAs(account('alice'))).toBe('Signed in as @alice');
    expect(signedInAs(account('alice', { name: 'Alice Liddell' }))).toBe('Signed in as @alice (Alice Liddell)');
    expect(tokenHomeText(account('alice'))).toBe('Your token is kept in the Secret Service keyring.');
    const sessionOnly = account('alice', { tokenHome: 'memory, for this session only', sessionOnly: true });
    expect(tokenHomeText(sessionOnly)).toBe(
      'Your token is kept in memory, for this session only. It is gone when Sluice closes.',
    );
    expect(signOutText(sessionOnly)).toBe('Signing out forgets the token.');
    expect(signOutText(account('alice'))).toBe('Signing out deletes the token from the Secret Service keyring.');
    expect(signedIn(sessionInfo())).toBe(false);
    expect(signedIn(sessionInfo({ account: account() }))).toBe(true);
  });

  it('forces session-only sign-in without a keychain, and says why', () => {
    const missing = { name: 'the Secret Service keyring', available: false, problem: 'No D-Bus session.' };
    expect(sessionOnlyForced(missing)).toBe(true);
    expect(sessionOnlyForced({ ...missing, available: true, problem: null })).toBe(false);
    expect(keychainProblemText(missing)).toBe(
      'The Secret Service keyring is not available. No D-Bus session. A sign-in lasts for this session only.',
    );
    const demo = { ...missing, problem: "The demo world's tokens end with it, so they are never kept." };
    expect(keychainProblemText(demo, true)).toBe(
      "The demo world's tokens end with it, so they are never kept. A sign-in lasts for this session only.",
    );
  });

  it('words the kubeconfig, the environment variable, speeds and journal problems', () => {
    expect(kubeconfigText(null)).toBe('$KUBECONFIG or ~/.kube/config');
    expect(kubeconfigText('/etc/kube.yaml')).toBe('/etc/kube.yaml');
    expect(environmentTokenName('GH_TOKEN')).toBe('$GH_TOKEN');
    expect(demoSpeeds(null)).toEqual([1, 2, 5, 10, 30, 60]);
    expect(demoSpeeds(20)).toEqual([1, 2, 5, 10, 20, 30, 60]);
    expect(speedLabel(1)).toBe('1× (real time)');
    expect(speedLabel(10)).toBe('10×');
    expect(journalProblemText({ line: 12, reason: 'checksum mismatch', setAside: null })).toBe(
      'line 12: checksum mismatch',
    );
  });
});

describe('contextChoices', () => {
  const context = { environment: 'production', namespace: 'production', found: false };
  it("marks the pipeline file's context and keeps ones the kubeconfig lacks", () => {
    expect(
      contextChoices({ ...context, kubeContext: 'gone', pipelineContext: 'prod' }, ['kind', 'prod']).map(
        (c) => c.label,
      ),
    ).toEqual(['kind', 'prod (pipeline file)', 'gone (not in kubeconfig)']);
    expect(
      contextChoices({ ...context, kubeContext: 'prod', pipelineContext: 'prod' }, []).map((c) => c.label),
    ).toEqual(['prod (pipeline file, not in kubeconfig)']);
  });
});
