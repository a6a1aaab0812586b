import { act, fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import type { Snapshot } from './lib/bindings';
import {
  FakeDesk,
  FakeLive,
  fakeBackend,
  kubernetesSource,
  minutesAgo,
  pod,
  productionGate,
  sessionInfo,
  tbytePipeline,
  tbyteSnapshot,
  waitingRun,
  withEnvironment,
  workload,
} from './test/fixtures';

afterEach(() => {
  vi.useRealTimers();
});

function renderLive(live: FakeLive, desk: FakeDesk = new FakeDesk()) {
  return render(App, { props: { backend: fakeBackend(async () => tbytePipeline(), live, desk) } });
}

function card(name: string): HTMLElement {
  const element = screen
    .getAllByTestId('environment-card')
    .find((candidate) => candidate.dataset.environment === name);
  if (!element) throw new Error(`no card for ${name}`);
  return element;
}

function text(scope: HTMLElement, testId: string): string {
  return (within(scope).getByTestId(testId).textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** The card's "last deployed …" time, as shown. */
function deployedAgo(name: string): string {
  return within(card(name)).getByTestId('last-deployed').querySelector('time')?.textContent ?? '';
}

/** Renders, waits until the live state from `getSnapshot` is on screen. */
async function renderWithSnapshot(snapshot: Snapshot): Promise<FakeLive> {
  const live = new FakeLive(snapshot);
  renderLive(live);
  await screen.findAllByTestId('version');
  return live;
}

async function push(live: FakeLive, snapshot: Snapshot): Promise<void> {
  await act(() => live.push(snapshot));
}

describe('live pipeline', () => {
  it('shows the static pipeline with "connecting…" until the first snapshot', async () => {
    const live = new FakeLive(null);
    renderLive(live);

    const cards = await screen.findAllByTestId('environment-card');
    expect(cards).toHaveLength(3);
    for (const c of cards) {
      expect(within(c).getByTestId('live-placeholder')).toHaveTextContent('connecting…');
      expect(within(c).queryByTestId('version')).not.toBeInTheDocument();
      expect(c).toHaveAttribute('aria-busy', 'true');
    }
    expect(screen.queryByTestId('error')).not.toBeInTheDocument();
    expect(screen.getByTestId('status-bar')).toHaveTextContent('Connecting to the cluster and GitHub…');
    // The configured facts stay on screen.
    expect(within(card('production')).getByText('prod-eks')).toBeInTheDocument();

    // The first pushed snapshot replaces the placeholders.
    await vi.waitFor(() => expect(live.listeners.size).toBe(1));
    await push(live, tbyteSnapshot());
    expect(text(card('dev'), 'version')).toBe('bbb2222');
    expect(screen.queryByText('connecting…')).not.toBeInTheDocument();
  });

  it('renders versions, health, ready counts and Helm facts from the snapshot', async () => {
    await renderWithSnapshot(tbyteSnapshot());

    // Each Deployment (tbyte-prod-api…) by its name within the Helm release.
    const expected = [
      ['dev', 'bbb2222', 'Ready api 1/1'],
      ['staging', 'bbb2222', 'Ready api 2/2'],
      ['production', 'aaa1111', 'Ready api 3/3'],
    ] as const;
    for (const [name, version, ready] of expected) {
      const c = card(name);
      expect(text(c, 'version')).toBe(version);
      expect(text(c, 'health')).toContain('healthy');
      expect(text(c, 'ready')).toBe(ready);
      expect(within(c).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
      expect(text(c, 'helm')).toBe('Helm rev 4 · deployed');
      expect(text(c, 'last-deployed')).toBe('last deployed 20 min ago approved by @alice · deployed by GitHub Actions');
      expect(within(c).queryByTestId('health-reason')).not.toBeInTheDocument();
    }
    expect(text(card('production'), 'version-title')).toBe('Release aaa1111');
  });

  it('shows readiness per workload, never a sum that contradicts the replica count', async () => {
    await renderWithSnapshot(
      withEnvironment(tbyteSnapshot(), 'production', (state) => ({
        ...state,
        workloads: [
          workload(3, 3, { name: 'tbyte-prod-api', component: 'api' }),
          workload(2, 3, { name: 'tbyte-prod-web', component: 'web' }),
        ],
      })),
    );

    const production = card('production');
    expect(text(production, 'ready')).toBe('Ready api 3/3 · web 2/3');
    expect(within(production).getAllByTestId('ready-workload').map((w) => [w.dataset.workload, w.textContent])).toEqual([
      ['api', 'api 3/3'],
      ['web', 'web 2/3'],
    ]);
    expect(text(production, 'ready')).not.toContain('5/6');
  });

  it('says who approved the running version and what deployed it, not who wrote it', async () => {
    const deployed = (approvedBy: string | null) =>
      withEnvironment(tbyteSnapshot(), 'production', (state) => ({
        ...state,
        lastDeployed: { at: minutesAgo(3), approvedBy, deployedBy: 'GitHub Actions' },
      }));
    const live = await renderWithSnapshot(deployed('alice-approver'));

    expect(text(card('production'), 'last-deployed')).toBe(
      'last deployed 3 min ago approved by @alice-approver · deployed by GitHub Actions',
    );
    // GitHub recorded no review: only what deployed it is said.
    await push(live, deployed(null));
    expect(text(card('production'), 'last-deployed')).toBe('last deployed 3 min ago deployed by GitHub Actions');
    expect(within(card('production')).queryByTestId('approved-by')).not.toBeInTheDocument();
  });

  it('shows the pull request that brought a version, its address on hover', async () => {
    const snapshot = withEnvironment(tbyteSnapshot(), 'staging', (state) => ({
      ...state,
      version: {
        ...state.version!,
        pullRequest: { number: 42, title: 'Add retries', url: 'https://github.com/acme/app/pull/42' },
      },
    }));
    await renderWithSnapshot(snapshot);

    const title = within(card('staging')).getByTestId('version-title');
    expect(title).toHaveTextContent('#42 Add retries');
    expect(within(title).getByTestId('version-link')).toHaveAttribute('title', 'https://github.com/acme/app/pull/42');
    expect(within(card('staging')).queryByRole('link')).not.toBeInTheDocument();
  });

  it('follows a rollout pushed live: 50%, then the version flips when done', async () => {
    const live = await renderWithSnapshot(tbyteSnapshot(1));
    const staging = () => card('staging');
    expect(within(staging()).queryByTestId('rollout')).not.toBeInTheDocument();

    await push(
      live,
      withEnvironment(tbyteSnapshot(2), 'staging', (state) => ({
        ...state,
        health: 'progressing',
        healthReason: 'Rolling out ccc3333: 1 of 2 replicas updated',
        // The old pods still serve: all ready, half updated.
        workloads: [workload(2, 2, { updated: 1 })],
        rollout: { progress: 0.5, from: 'bbb2222', to: 'ccc3333', stalled: false },
      })),
    );
    expect(text(staging(), 'version')).toBe('bbb2222');
    expect(text(staging(), 'rollout')).toBe('rolling out → ccc3333 (50%)');
    expect(text(staging(), 'ready')).toContain('Ready api 2/2');
    const rolling = within(staging()).getByRole('progressbar');
    expect(rolling).toHaveAttribute('aria-valuenow', '50');
    expect(rolling).toHaveClass('progress-bar');
    expect(rolling).not.toHaveClass('stalled');
    expect(rolling.firstElementChild).toHaveClass('progress-fill', 'moving');
    expect(within(staging()).getByTestId('health')).toHaveTextContent('progressing');
    expect(text(staging(), 'health-reason')).toBe('Rolling out ccc3333: 1 of 2 replicas updated');

    await push(
      live,
      withEnvironment(tbyteSnapshot(3), 'staging', (state) => ({
        ...state,
        version: { ...state.version!, label: 'ccc3333', title: 'Release ccc3333' },
      })),
    );
    expect(text(staging(), 'version')).toBe('ccc3333');
    expect(within(staging()).queryByTestId('rollout')).not.toBeInTheDocument();
    expect(within(staging()).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
    expect(within(staging()).getByTestId('health')).toHaveTextContent('healthy');
  });

  it('shows a degraded environment with its reason, failing pods and problems', async () => {
    await renderWithSnapshot(
      withEnvironment(tbyteSnapshot(), 'staging', (state) => ({
        ...state,
        health: 'degraded',
        healthReason: 'api: 0 of 2 replicas ready',
        workloads: [
          workload(1, 2, {
            pods: [
              pod('api-7d9-abcde'),
              pod('api-8f1-xyz12', {
                ready: false,
                restarts: 5,
                reason: 'CrashLoopBackOff',
                message: 'back-off 5m0s restarting failed container',
              }),
            ],
          }),
        ],
        rollout: { progress: 0, from: 'bbb2222', to: 'eee5555', stalled: true },
        problems: ['helm release secret sh.helm.release.v1.tbyte-staging.v5 is corrupt'],
      })),
    );

    const staging = card('staging');
    expect(staging).toHaveAttribute('data-health', 'degraded');
    expect(within(staging).getByTestId('health')).toHaveTextContent('degraded');
    expect(text(staging, 'health-reason')).toBe('api: 0 of 2 replicas ready');
    const pods = within(staging).getByTestId('failing-pods');
    expect(within(pods).getAllByRole('listitem')).toHaveLength(1);
    expect(pods).toHaveTextContent('api-8f1-xyz12');
    expect(pods).toHaveTextContent('CrashLoopBackOff');
    expect(pods).toHaveTextContent('5 restarts');
    expect(pods).not.toHaveTextContent('api-7d9-abcde');
    expect(text(staging, 'rollout')).toBe('rolling out → eee5555 (0%) stalled');
    expect(within(staging).getByTestId('ready')).toHaveClass('stalled');
    const stalled = within(staging).getByRole('progressbar');
    expect(stalled).toHaveClass('progress-bar', 'stalled');
    expect(stalled.firstElementChild).toHaveClass('progress-fill');
    expect(stalled.firstElementChild).not.toHaveClass('moving');
    expect(text(staging, 'problems')).toContain('tbyte-staging.v5 is corrupt');
    // The others are untouched.
    expect(within(card('dev')).queryByTestId('failing-pods')).not.toBeInTheDocument();
  });

  it('marks drift with its message', async () => {
    await renderWithSnapshot(
      withEnvironment(tbyteSnapshot(), 'production', (state) => ({
        ...state,
        drift: {
          githubSha: 'fff6666',
          clusterSha: 'aaa1111',
          message: 'GitHub says fff6666 was deployed; the cluster runs aaa1111',
        },
      })),
    );

    expect(text(card('production'), 'drift')).toBe(
      '≠ Drift: GitHub says fff6666 was deployed; the cluster runs aaa1111',
    );
    expect(within(card('staging')).queryByTestId('drift')).not.toBeInTheDocument();
  });

  it('greys a stale environment with "as of" and the source\'s hint', async () => {
    const snapshot = withEnvironment(tbyteSnapshot(), 'production', (state) => ({
      ...state,
      stale: true,
      health: 'unknown',
      healthReason: 'The cluster is unreachable',
    }));
    snapshot.sources[1] = kubernetesSource('prod-eks', {
      connected: false,
      lastEventAt: minutesAgo(3),
      lastError: {
        code: 'kubernetes.unreachable',
        message: 'connection refused',
        hint: 'Check that kube context `prod-eks` exists and its cluster is reachable.',
      },
    });
    await renderWithSnapshot(snapshot);

    const production = card('production');
    expect(production).toHaveClass('stale');
    const note = within(production).getByTestId('stale');
    expect(note).toHaveTextContent('as of 3 min ago');
    expect(note).toHaveTextContent('Check that kube context `prod-eks` exists');
    // The last known state stays readable.
    expect(text(production, 'version')).toBe('aaa1111');

    for (const name of ['dev', 'staging']) {
      expect(card(name)).not.toHaveClass('stale');
      expect(within(card(name)).queryByTestId('stale')).not.toBeInTheDocument();
    }
    const disconnected = screen
      .getAllByTestId('source')
      .find((source) => source.dataset.connected === 'false');
    expect(disconnected).toHaveTextContent('kubernetes (prod-eks) disconnected');
    expect(disconnected).toHaveTextContent('connection refused');
  });

  it('shows the gate: what is ahead, the versions and each condition', async () => {
    await renderWithSnapshot(tbyteSnapshot());

    const gate = screen.getByTestId('gate');
    expect(text(gate, 'gate-ahead')).toBe('3 commits / 1 PR ahead');
    expect(text(gate, 'gate-versions')).toBe('aaa1111 → bbb2222');
    expect(text(gate, 'gate-status')).toBe('blocked');
    const chips = within(gate).getAllByTestId('gate-condition');
    expect(chips.map((chip) => chip.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      '✓ met: checks',
      '✗ not met: soak',
    ]);
    expect(within(gate).queryByTestId('gate-waiting')).not.toBeInTheDocument();
  });

  it('reads "up to date", not blocked, when there is nothing to promote', async () => {
    const snapshot = tbyteSnapshot();
    snapshot.gates = [
      productionGate({
        status: 'up-to-date',
        statusLabel: 'up to date',
        pending: { ...productionGate().pending, incomingVersion: 'aaa1111', commits: [], pullRequests: [] },
        conditions: [],
      }),
    ];
    await renderWithSnapshot(snapshot);

    const gate = screen.getByTestId('gate');
    const status = within(gate).getByTestId('gate-status');
    expect(text(gate, 'gate-status')).toBe('up to date');
    expect(status).toHaveAttribute('data-status', 'up-to-date');
    expect(status).not.toHaveClass('status-blocked');
    expect(text(gate, 'gate-ahead')).toBe('0 commits / 0 PRs ahead');
    expect(text(gate, 'gate-versions')).toBe('aaa1111 → aaa1111');
  });

  it('shows a gate condition\'s reason on focus and on hover, and hides it on blur and Escape', async () => {
    await renderWithSnapshot(tbyteSnapshot());

    const gate = screen.getByTestId('gate');
    const soak = within(gate).getByRole('button', { name: /soak/ });
    const reason = 'bbb2222 has run 3h in staging; 24h required';
    expect(soak).toHaveAccessibleDescription(reason);
    const tooltip = within(gate).getByText(reason);
    expect(tooltip).toHaveAttribute('role', 'tooltip');
    expect(tooltip).not.toBeVisible();

    soak.focus();
    await act();
    expect(tooltip).toBeVisible();
    expect(within(gate).getByText('ci / test and smoke passed on bbb2222')).not.toBeVisible();

    await fireEvent.keyDown(soak, { key: 'Escape' });
    expect(tooltip).not.toBeVisible();

    soak.blur();
    await act();
    expect(tooltip).not.toBeVisible();

    const checks = within(gate).getByRole('button', { name: /checks/ });
    await fireEvent.mouseEnter(checks);
    expect(within(gate).getByText('ci / test and smoke passed on bbb2222')).toBeVisible();
    await fireEvent.mouseLeave(checks);
    expect(within(gate).getByText('ci / test and smoke passed on bbb2222')).not.toBeVisible();
  });

  it('folds the configured gate rules away once live, and opens them on request', async () => {
    await renderWithSnapshot(tbyteSnapshot());

    const gate = screen.getByTestId('gate');
    const toggle = within(gate).getByRole('button', { name: 'Rules' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(within(gate).getByText('Method', { selector: 'dt' })).not.toBeVisible();

    await fireEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(within(gate).getByText('Method', { selector: 'dt' })).toBeVisible();
    expect(within(gate).getByText('@alice')).toBeVisible();
  });

  it('says why the images of the source cannot be matched to the target\'s', async () => {
    const problem = 'tbyte-staging-aaa also runs a container `api`: which one production gets is ambiguous.';
    const snapshot = tbyteSnapshot();
    snapshot.gates = [productionGate({ pending: { ...productionGate().pending, imageProblems: [problem] } })];
    await renderWithSnapshot(snapshot);

    expect(text(screen.getByTestId('gate'), 'gate-image-problems')).toBe(problem);
  });

  it('says when a deploy run waits for approval', async () => {
    const snapshot = tbyteSnapshot();
    snapshot.gates = [productionGate({ waitingRuns: [waitingRun({ runId: 9876, currentUserCanApprove: false })] })];
    await renderWithSnapshot(snapshot);

    expect(text(screen.getByTestId('gate'), 'gate-waiting')).toBe('waiting for approval (run #9876)');
  });

  it('says where a quorum of approvals stands on the gate, and how many must approve in its rules', async () => {
    const snapshot = tbyteSnapshot();
    snapshot.gates = [
      productionGate({
        quorum: { required: 2, approvals: [], notCounted: [], summary: '1 of 2 approvals: @carol' },
      }),
    ];
    const live = new FakeLive(snapshot);
    const pipeline = tbytePipeline();
    pipeline.environments[2]!.gate!.approval!.required = 2;
    render(App, { props: { backend: fakeBackend(async () => pipeline, live, new FakeDesk()) } });
    await screen.findAllByTestId('version');

    expect(text(screen.getByTestId('gate'), 'gate-quorum')).toBe('1 of 2 approvals: @carol');
    await fireEvent.click(screen.getByTestId('gate-rules-toggle'));
    expect(text(screen.getByTestId('gate'), 'gate-required')).toBe('2 different people must approve');
  });

  it('lists every waiting run, marking one that would not ship what staging runs', async () => {
    const snapshot = tbyteSnapshot();
    snapshot.gates = [
      productionGate({
        waitingRuns: [
          waitingRun({ runId: 10090 }),
          waitingRun({ runId: 10062, sha: 'daaf471'.padEnd(40, '0'), label: 'daaf471', shipsSourceVersion: false }),
        ],
      }),
    ];
    await renderWithSnapshot(snapshot);

    const runs = within(screen.getByTestId('gate')).getAllByTestId('gate-waiting-run');
    expect(runs.map((run) => (run.textContent ?? '').replace(/\s+/g, ' ').trim())).toEqual([
      'waiting for approval (run #10090)',
      'waiting for approval (run #10062) deploys daaf471, not what staging runs',
    ]);
    expect(runs.map((run) => run.dataset.shipsSource)).toEqual(['true', 'false']);
  });

  it('lists open pull requests by the source, with checks and where they run', async () => {
    await renderWithSnapshot(tbyteSnapshot());

    const prs = within(screen.getByTestId('pull-requests')).getAllByTestId('pull-request');
    expect(prs.map((pr) => pr.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      '● checks running #43 Faster startup → dev',
      '✗ checks failed #41 Dark mode',
    ]);
    expect(within(prs[0]!).getByTestId('pull-request-link')).toHaveAttribute(
      'title',
      'https://github.com/acme/app/pull/43',
    );
  });

  it('lists the sources in the status bar', async () => {
    await renderWithSnapshot(tbyteSnapshot());

    const sources = screen.getAllByTestId('source');
    expect(sources.map((source) => source.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'kubernetes (kind-tbyte) connected · last event 1 min ago',
      'kubernetes (prod-eks) connected · last event 1 min ago',
      'github (tbyte-org/tbyte-microservices) connected · last event 2 min ago · 4990 requests left',
    ]);
  });

  it('keeps a pushed snapshot when an older answer to getSnapshot arrives after it', async () => {
    let answer: (snapshot: Snapshot | null) => void = () => {};
    const live = new FakeLive(null);
    live.getSnapshot = () => new Promise((resolve) => (answer = resolve));
    renderLive(live);
    await screen.findAllByTestId('environment-card');
    await vi.waitFor(() => expect(live.listeners.size).toBe(1));

    await push(
      live,
      withEnvironment(tbyteSnapshot(5), 'dev', (state) => ({ ...state, version: { ...state.version!, label: 'new7777' } })),
    );
    await act(() => answer(tbyteSnapshot(4)));

    expect(text(card('dev'), 'version')).toBe('new7777');
  });

  it('shows the pipeline and the reason when live state cannot be requested', async () => {
    const live = new FakeLive(null);
    live.failure = { code: 'internal', message: 'command get_snapshot not found', hint: 'Update Sluice.' };
    renderLive(live);

    const error = await screen.findByTestId('live-error');
    expect(error).toHaveTextContent('Live state unavailable: command get_snapshot not found');
    expect(error).toHaveTextContent('Update Sluice.');
    expect(screen.getAllByTestId('environment-card')).toHaveLength(3);
    expect(screen.queryByText('connecting…')).not.toBeInTheDocument();
    expect(screen.queryByTestId('error')).not.toBeInTheDocument();
  });

  it('recomputes relative times as the clock moves', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    await renderWithSnapshot(tbyteSnapshot());
    expect(deployedAgo('dev')).toBe('20 min ago');

    await act(() => vi.advanceTimersByTime(2 * 60_000));
    expect(deployedAgo('dev')).toBe('22 min ago');
  });

  it('reads the demo world\'s times on its own clock, which starts elsewhere and runs faster', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    // The simulated world is at 03:00 on another day; its production deployed at 02:57.
    const snapshot = withEnvironment(
      { ...tbyteSnapshot(), generatedAt: '2026-05-03T03:00:00Z' },
      'production',
      (state) => ({
        ...state,
        lastDeployed: { at: '2026-05-03T02:57:00Z', approvedBy: 'alice-approver', deployedBy: 'GitHub Actions' },
      }),
    );
    const desk = new FakeDesk();
    desk.session = sessionInfo({ demo: true, demoSpeed: 60 });
    renderLive(new FakeLive(snapshot), desk);
    await screen.findAllByTestId('version');
    await vi.waitFor(() => expect(desk.callsTo('getSession')).toHaveLength(1));
    expect(deployedAgo('production')).toBe('3 min ago');

    // Two real seconds at 60× are two simulated minutes.
    await act(() => vi.advanceTimersByTime(2_000));
    expect(deployedAgo('production')).toBe('5 min ago');
  });

  it('stops listening when the view is destroyed', async () => {
    const live = new FakeLive(tbyteSnapshot());
    const { unmount } = renderLive(live);
    await screen.findAllByTestId('version');
    expect(live.subscribeCalls).toBe(1);
    expect(live.listeners.size).toBe(1);

    unmount();

    expect(live.unsubscribeCalls).toBe(1);
    expect(live.listeners.size).toBe(0);
  });

  it('unsubscribes even when destroyed before the subscription settles', async () => {
    const live = new FakeLive(null);
    const { unmount } = renderLive(live);
    unmount();
    await vi.waitFor(() => expect(live.unsubscribeCalls).toBe(1));
    expect(live.listeners.size).toBe(0);
  });
});
