import { fireEvent, render, screen, within } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import type { DeviceCode, SessionInfo } from '../bindings';
import { account, FakeDesk, FakeLive, fakeBackend, sessionInfo, tbytePipeline } from '../../test/fixtures';
import SettingsView from './SettingsView.svelte';
import TestHost from './audit/TestHost.svelte';

/**
 * Renders the Settings view on `desk`, as the app shell would: every session
 * handed to onSession becomes the view's `session` prop.
 */
function renderSettings(desk: FakeDesk, backendOverride: Partial<ReturnType<typeof fakeBackend>> = {}) {
  const backend = { ...fakeBackend(async () => tbytePipeline(), new FakeLive(), desk), ...backendOverride };
  const sessions: SessionInfo[] = [];
  const component = SettingsView as unknown as Component<Record<string, unknown>>;
  const onSession = vi.fn((next: SessionInfo) => {
    sessions.push(next);
    result.rerender({ backend, component, viewProps: { session: next, onSession } });
  });
  const result = render(TestHost, {
    props: { backend, component, viewProps: { session: desk.session, onSession } },
  });
  return { ...result, sessions, onSession };
}

function deskWith(session: Partial<SessionInfo>): FakeDesk {
  const desk = new FakeDesk();
  desk.session = sessionInfo(session);
  return desk;
}

describe('settings view', () => {
  it('offers the ways to sign in when nobody is', () => {
    renderSettings(deskWith({ environmentToken: 'GH_TOKEN' }));

    expect(screen.getByTestId('settings-signed-out')).toHaveTextContent('Not signed in');
    expect(screen.getByTestId('settings-signin-device')).toBeEnabled();
    expect(screen.getByTestId('settings-token-input')).toHaveAttribute('type', 'password');
    expect(screen.getByTestId('settings-token-input')).toHaveAttribute('autocomplete', 'off');
    expect(screen.getByTestId('settings-token-input')).toHaveAttribute('spellcheck', 'false');
    expect(screen.getByTestId('settings-signin-token')).toBeDisabled();
    expect(screen.getByTestId('settings-signin-env')).toHaveTextContent('Import from $GH_TOKEN');
    expect(screen.getByRole('checkbox', { name: 'Keep for this session only' })).not.toBeChecked();
    expect(screen.queryByTestId('settings-signed-in-as')).not.toBeInTheDocument();
    expect(screen.queryByTestId('settings-demo-people')).not.toBeInTheDocument();
  });

  it('hides the import when no token is in the environment', () => {
    renderSettings(deskWith({}));
    expect(screen.queryByTestId('settings-signin-env')).not.toBeInTheDocument();
  });

  it('imports the token from the environment', async () => {
    const desk = deskWith({ environmentToken: 'GITHUB_TOKEN' });
    const { sessions } = renderSettings(desk);

    await fireEvent.click(screen.getByRole('button', { name: 'Import from $GITHUB_TOKEN' }));
    expect(desk.callsTo('signInFromEnvironment')).toEqual([[false]]);
    expect(sessions).toHaveLength(1);
    expect(await screen.findByTestId('settings-signed-in-as')).toHaveTextContent('Signed in as @alice-approver');
  });

  it('shows who is signed in, where the token is kept, and signs out', async () => {
    const desk = deskWith({ account: account('alice', { name: 'Alice Liddell' }) });
    const { sessions } = renderSettings(desk);

    expect(screen.getByTestId('settings-signed-in-as')).toHaveTextContent('Signed in as @alice (Alice Liddell)');
    expect(screen.getByTestId('settings-token-home')).toHaveTextContent(
      'Your token is kept in the Secret Service keyring.',
    );
    expect(screen.queryByTestId('settings-session-only-note')).not.toBeInTheDocument();
    expect(screen.queryByTestId('settings-signin-device')).not.toBeInTheDocument();

    await fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(desk.callsTo('signOut')).toHaveLength(1);
    expect(sessions.at(-1)?.account).toBeNull();
    expect(await screen.findByTestId('settings-signed-out')).toBeInTheDocument();
  });

  it('says which identity is used and why, and why a present credential is not', () => {
    const why = 'Using $GH_TOKEN from the environment: it wins over the token kept in the Secret Service keyring.';
    renderSettings(
      deskWith({
        account: account('alice', { source: 'environment', tokenHome: 'the environment ($GH_TOKEN)', why }),
        identityNote: null,
      }),
    );
    const used = screen.getByTestId('settings-identity-why');
    expect(used).toHaveTextContent(why);
    expect(used).toHaveAttribute('data-source', 'environment');
    expect(screen.queryByTestId('settings-identity-note')).not.toBeInTheDocument();
  });

  it('offers to keep the environment token in the keychain while it is in use', async () => {
    const desk = deskWith({
      account: account('alice', { source: 'environment', tokenHome: 'the GH_TOKEN environment variable' }),
      environmentToken: 'GH_TOKEN',
    });
    renderSettings(desk);
    const keep = screen.getByTestId('settings-signin-env');
    expect(keep).toHaveTextContent(`Keep this token in ${desk.session.keychain.name}`);
    await fireEvent.click(keep);
    expect(desk.callsTo('signInFromEnvironment')).toEqual([[false]]);
  });

  it('does not offer to keep a token that is already kept', () => {
    renderSettings(deskWith({ account: account('alice', { source: 'keychain' }), environmentToken: 'GH_TOKEN' }));
    expect(screen.queryByTestId('settings-signin-env')).not.toBeInTheDocument();
  });

  it('shows the identity note when a credential is present but not used', () => {
    const note = 'GitHub refused the token in $GH_TOKEN (401 Bad credentials); nobody is signed in.';
    renderSettings(deskWith({ identityNote: note }));
    expect(screen.getByTestId('settings-identity-note')).toHaveTextContent(note);
    expect(screen.getByTestId('settings-signed-out')).toBeInTheDocument();
  });

  it('notes a session-only sign-in', () => {
    renderSettings(
      deskWith({ account: account('alice', { tokenHome: 'memory, for this session only', sessionOnly: true }) }),
    );
    expect(screen.getByTestId('settings-token-home')).toHaveTextContent('for this session only');
    expect(screen.getByTestId('settings-session-only-note')).toHaveTextContent('session only');
  });

  it('walks through the device flow: code, copy, link, waiting, signed in', async () => {
    const desk = new FakeDesk();
    let finish: (s: SessionInfo) => void = () => {};
    const writeText = vi.fn(async (_text: string) => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { sessions } = renderSettings(desk, {
      finishDeviceSignIn: (sessionOnly) => {
        desk.calls.push({ name: 'finishDeviceSignIn', args: [sessionOnly] });
        return new Promise<SessionInfo>((resolve) => (finish = resolve));
      },
    });

    await fireEvent.click(screen.getByRole('checkbox', { name: 'Keep for this session only' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Sign in with GitHub' }));

    expect(await screen.findByTestId('settings-device-code')).toHaveTextContent('WDJB-MJHT');
    expect(screen.getByTestId('settings-device-browser-opened')).toHaveTextContent('Your browser was opened');
    expect(screen.getByTestId('settings-device-waiting')).toHaveTextContent(
      'Waiting for you to enter the code on GitHub…',
    );
    expect(desk.callsTo('startDeviceSignIn')).toHaveLength(1);
    expect(desk.callsTo('finishDeviceSignIn')).toEqual([[true]]);

    await fireEvent.click(screen.getByRole('button', { name: 'Copy code' }));
    expect(writeText).toHaveBeenCalledWith('WDJB-MJHT');
    expect(await screen.findByRole('button', { name: 'Copied' })).toBeInTheDocument();

    await fireEvent.click(screen.getByRole('button', { name: 'https://github.com/login/device' }));
    expect(desk.callsTo('openUrl')).toEqual([['https://github.com/login/device', false]]);

    finish({ ...desk.session, account: account('alice-approver', { sessionOnly: true }) });
    expect(await screen.findByTestId('settings-signed-in-as')).toHaveTextContent('@alice-approver');
    expect(sessions).toHaveLength(1);
  });

  it('does not claim the browser opened when it did not', async () => {
    const desk = new FakeDesk();
    desk.deviceCode = { ...desk.deviceCode, browserOpened: false } satisfies DeviceCode;
    renderSettings(desk, { finishDeviceSignIn: () => new Promise<SessionInfo>(() => {}) });

    await fireEvent.click(screen.getByTestId('settings-signin-device'));
    await screen.findByTestId('settings-device-code');
    expect(screen.queryByTestId('settings-device-browser-opened')).not.toBeInTheDocument();
  });

  it('shows a device flow error with its hint, and lets one start again', async () => {
    const desk = new FakeDesk();
    renderSettings(desk, {
      finishDeviceSignIn: async () => {
        throw { code: 'device_code_expired', message: 'The code expired.', hint: 'Start again.' };
      },
    });

    await fireEvent.click(screen.getByTestId('settings-signin-device'));
    const error = await screen.findByTestId('settings-device-error');
    expect(error).toHaveTextContent('The code expired.');
    expect(error).toHaveTextContent('Start again.');
    expect(screen.queryByTestId('settings-device-code')).not.toBeInTheDocument();
    expect(screen.getByTestId('settings-signin-device')).toBeEnabled();
  });

  it('disables the device flow with the reason when no client id is configured', () => {
    renderSettings(deskWith({ deviceFlow: false }));

    const button = screen.getByTestId('settings-signin-device');
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription(/set SLUICE_GITHUB_CLIENT_ID/);
    expect(screen.getByTestId('settings-device-unavailable')).toHaveTextContent('No OAuth client id configured');
  });

  it('clears a pasted token the moment it is submitted, and never shows it', async () => {
    const desk = new FakeDesk();
    let answer: (s: SessionInfo) => void = () => {};
    renderSettings(desk, {
      signInWithToken: (token, sessionOnly) => {
        desk.calls.push({ name: 'signInWithToken', args: [token, sessionOnly] });
        return new Promise<SessionInfo>((resolve) => (answer = resolve));
      },
    });

    const input = screen.getByTestId('settings-token-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'ghp_canary123' } });
    expect(screen.getByTestId('settings-signin-token')).toBeEnabled();
    await fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(desk.callsTo('signInWithToken')).toEqual([['ghp_canary123', false]]);
    expect(input.value).toBe('');
    expect(document.body.innerHTML).not.toContain('ghp_canary123');
    expect(screen.getByTestId('settings-signin-token')).toHaveTextContent('Checking with GitHub…');

    answer({ ...desk.session, account: account('alice-approver') });
    expect(await screen.findByTestId('settings-signed-in-as')).toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain('ghp_canary123');
  });

  it('shows a refused token with its hint, the input still empty', async () => {
    const desk = new FakeDesk();
    renderSettings(desk);
    desk.failure = { code: 'token_invalid', message: 'GitHub did not accept the token.', hint: 'Paste it again.' };

    const input = screen.getByTestId('settings-token-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'ghp_wrong' } });
    await fireEvent.submit(screen.getByTestId('settings-token-form'));

    const error = await screen.findByTestId('settings-account-error');
    expect(error).toHaveTextContent('GitHub did not accept the token.');
    expect(error).toHaveTextContent('Paste it again.');
    expect(input.value).toBe('');
    expect(document.body.innerHTML).not.toContain('ghp_wrong');
  });

  it('forces session-only with the reason when there is no keychain', async () => {
    const desk = deskWith({
      environmentToken: 'GH_TOKEN',
      keychain: { name: 'the Secret Service keyring', available: false, problem: 'No D-Bus session bus.' },
    });
    renderSettings(desk);

    const box = screen.getByTestId('settings-session-only');
    expect(box).toBeChecked();
    expect(box).toBeDisabled();
    expect(box).toHaveAccessibleDescription(/No D-Bus session bus\. A sign-in lasts for this session only\./);
    expect(screen.getByTestId('settings-keychain-problem')).toHaveTextContent(
      'The Secret Service keyring is not available.',
    );

    await fireEvent.click(screen.getByTestId('settings-signin-env'));
    expect(desk.callsTo('signInFromEnvironment')).toEqual([[true]]);
  });

  it('lets one act as a simulated person in the demo', async () => {
    const desk = deskWith({
      demo: true,
      demoSpeed: 1,
      demoPeople: [
        { login: 'alice-approver', role: 'approver' },
        { login: 'dave-dev', role: 'developer' },
        { login: 'vera-viewer', role: 'viewer' },
      ],
    });
    renderSettings(desk);

    const people = screen.getAllByTestId('settings-demo-person');
    expect(people.map((p) => p.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      '@alice-approver approver',
      '@dave-dev developer',
      '@vera-viewer viewer',
    ]);
    await fireEvent.click(people[1]!);
    expect(desk.callsTo('signInAsDemoPerson')).toEqual([['dave-dev']]);
    expect(await screen.findByTestId('settings-signed-in-as')).toHaveTextContent('Signed in as @dave-dev');
    expect(screen.getByTestId('settings-token-home')).toHaveTextContent('the demo world');
    const current = screen.getAllByTestId('settings-demo-person').find((p) => p.dataset.login === 'dave-dev');
    expect(current).toHaveAttribute('aria-pressed', 'true');
  });

  it('shows the pipeline: file, contexts, kubeconfig and GitHub host', () => {
    renderSettings(deskWith({ contextsEditable: false }));

    expect(screen.getByTestId('settings-pipeline-file')).toHaveTextContent('environments/pipeline.yaml');
    expect(screen.getByTestId('settings-kubeconfig')).toHaveTextContent('$KUBECONFIG or ~/.kube/config');
    expect(screen.getByTestId('settings-github-host')).toHaveTextContent('api.github.com');
    const rows = screen.getAllByTestId('settings-context');
    expect(rows.map((r) => [...r.children].map((cell) => cell.textContent?.trim()))).toEqual([
      ['dev', 'kind-tbyte', 'dev'],
      ['staging', 'kind-tbyte', 'staging'],
      ['production', 'prod-eks', 'production'],
    ]);
  });

  it('names a configured kubeconfig', () => {
    renderSettings(deskWith({ kubeconfig: '/home/alice/.kube/work.yaml' }));
    expect(screen.getByTestId('settings-kubeconfig')).toHaveTextContent('/home/alice/.kube/work.yaml');
  });

  it('switches demo mode on, then changes its speed', async () => {
    const desk = new FakeDesk();
    renderSettings(desk);

    const toggle = screen.getByRole('switch', { name: 'Demo mode' });
    expect(toggle).not.toBeChecked();
    expect(toggle).toHaveAccessibleDescription(/built-in simulated world/);
    expect(screen.queryByTestId('settings-demo-speed')).not.toBeInTheDocument();

    await fireEvent.click(toggle);
    expect(desk.callsTo('setDemo')).toEqual([[true]]);
    const speed = (await screen.findByTestId('settings-demo-speed')) as HTMLSelectElement;
    expect(speed.value).toBe('1');
    expect(screen.getByRole('switch', { name: 'Demo mode' })).toBeChecked();

    await fireEvent.change(speed, { target: { value: '10' } });
    expect(desk.callsTo('setDemoSpeed')).toEqual([[10]]);
  });

  it('puts the switch back and shows why when demo mode cannot change', async () => {
    const desk = new FakeDesk();
    renderSettings(desk);
    desk.failure = { code: 'demo_unavailable', message: 'The demo world did not start.', hint: 'Restart Sluice.' };

    const toggle = screen.getByRole('switch', { name: 'Demo mode' });
    await fireEvent.click(toggle);
    expect(await screen.findByTestId('settings-demo-error')).toHaveTextContent('The demo world did not start.');
    expect(toggle).not.toBeChecked();
  });

  it('says the theme follows the system', () => {
    renderSettings(deskWith({}));
    expect(screen.getByTestId('settings-theme')).toHaveTextContent('Follows your system (light/dark).');
  });

  it('lists journal problems with line, reason and where they were set aside', () => {
    renderSettings(
      deskWith({
        journalProblems: [
          { line: 12, reason: 'checksum mismatch', setAside: '/home/alice/.local/share/sluice/audit.damaged' },
          { line: 40, reason: 'unfinished line (the writer died)', setAside: null },
        ],
      }),
    );

    const section = screen.getByTestId('settings-journal-problems');
    expect(section).toHaveTextContent('2 damaged lines were found and set aside');
    const problems = within(section).getAllByTestId('settings-journal-problem');
    expect(problems[0]).toHaveTextContent(
      'line 12: checksum mismatch set aside in /home/alice/.local/share/sluice/audit.damaged',
    );
    expect(problems[1]).toHaveTextContent('line 40: unfinished line (the writer died) not kept');
  });

  it('shows no journal section when the journal is sound', () => {
    renderSettings(deskWith({}));
    expect(screen.queryByTestId('settings-journal-problems')).not.toBeInTheDocument();
  });

  it('cancels a device sign-in that is waiting, back to the way it was', async () => {
    const desk = new FakeDesk();
    let cancel: () => void = () => {};
    renderSettings(desk, {
      finishDeviceSignIn: () =>
        new Promise<SessionInfo>((_resolve, reject) => {
          cancel = () => reject({ code: 'signin.cancelled', message: 'cancelled', hint: '' });
        }),
      cancelDeviceSignIn: async () => {
        desk.calls.push({ name: 'cancelDeviceSignIn', args: [] });
        cancel();
      },
    });

    await fireEvent.click(screen.getByTestId('settings-signin-device'));
    await screen.findByTestId('settings-device-waiting');
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));

    expect(await screen.findByTestId('settings-signin-device')).toBeEnabled();
    await vi.waitFor(() => expect(screen.getByTestId('settings-signin-device')).toHaveFocus());
    expect(desk.callsTo('cancelDeviceSignIn')).toHaveLength(1);
    expect(screen.queryByTestId('settings-device-code')).not.toBeInTheDocument();
    expect(screen.queryByTestId('settings-device-error')).not.toBeInTheDocument();
  });

  it('points an environment at another kube context and back to the pipeline file\'s', async () => {
    const desk = new FakeDesk();
    renderSettings(desk);

    const select = screen.getByRole('combobox', { name: 'Kube context for production' });
    expect(select).toHaveValue('prod-eks');
    const options = within(select).getAllByRole('option').map((o) => o.textContent);
    expect(options).toEqual(['kind-tbyte', 'prod-eks (pipeline file)', 'prod-eks-admin']);

    // Picking is not yet choosing: applying reconnects, so it waits for "Use".
    await fireEvent.change(select, { target: { value: 'prod-eks-admin' } });
    expect(desk.callsTo('setKubeContext')).toEqual([]);
    await fireEvent.click(screen.getByRole('button', { name: 'Use context prod-eks-admin for production' }));
    expect(desk.callsTo('setKubeContext')).toEqual([['production', 'prod-eks-admin']]);
    const row = screen.getAllByTestId('settings-context').find((r) => r.dataset.environment === 'production')!;
    expect(await within(row).findByTestId('settings-context-chosen')).toHaveTextContent('your choice');

    expect(select).toHaveFocus();
    expect(select).toHaveAccessibleDescription('your choice');
    await fireEvent.click(
      within(row).getByRole('button', { name: "Use the pipeline file's context prod-eks for production" }),
    );
    expect(desk.callsTo('setKubeContext')).toEqual([
      ['production', 'prod-eks-admin'],
      ['production', null],
    ]);
    expect(within(row).queryByTestId('settings-context-chosen')).not.toBeInTheDocument();
  });

  it('shows a refused context choice under its environment', async () => {
    const desk = new FakeDesk();
    renderSettings(desk);
    desk.failure = { code: 'contexts.unknown', message: 'The kubeconfig has no context `x`.', hint: 'Pick one.' };

    const select = screen.getByRole('combobox', { name: 'Kube context for dev' });
    await fireEvent.change(select, { target: { value: 'prod-eks' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Use context prod-eks for dev' }));
    const error = await screen.findByTestId('settings-context-error');
    expect(error).toHaveTextContent('The kubeconfig has no context `x`.');
    expect(error.closest('tr')?.dataset.environment).toBe('dev');
    // The select shows the context still in use, not the refused one.
    expect(select).toHaveValue('kind-tbyte');
    expect(screen.queryByTestId('settings-context-apply')).not.toBeInTheDocument();
  });

  it('shows contexts read-only in the demo, and a context missing from the kubeconfig', () => {
    renderSettings(
      deskWith({
        demo: true,
        contextsEditable: false,
        kubeContexts: [],
        contexts: [
          { environment: 'dev', kubeContext: 'tbyte', pipelineContext: 'tbyte', namespace: 'dev', found: false },
        ],
        contextsProblem: 'Cannot read the kubeconfig: bad YAML.',
      }),
    );
    expect(screen.queryByRole('combobox', { name: /Kube context/ })).not.toBeInTheDocument();
    expect(screen.getByTestId('settings-context-missing')).toHaveTextContent('Your kubeconfig has no context tbyte.');
    expect(screen.getByTestId('settings-contexts-problem')).toHaveTextContent('bad YAML');
  });

  it('offers to take back a choice even when the kubeconfig cannot be read', async () => {
    const desk = deskWith({
      kubeContexts: [],
      contextsProblem: 'Cannot read the kubeconfig: not valid YAML (line 3, column 1).',
      contexts: [
        { environment: 'dev', kubeContext: 'mine', pipelineContext: 'tbyte', namespace: 'dev', found: null },
      ],
    });
    renderSettings(desk);
    expect(screen.queryByRole('combobox', { name: /Kube context/ })).not.toBeInTheDocument();
    expect(screen.getByTestId('settings-context-chosen')).toHaveTextContent('your choice');
    await fireEvent.click(screen.getByRole('button', { name: "Use the pipeline file's context tbyte for dev" }));
    expect(desk.callsTo('setKubeContext')).toEqual([['dev', null]]);
  });
});
