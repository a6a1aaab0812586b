import { fireEvent, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { PodState, Snapshot, Workload } from '../bindings';
import {
  FakeDesk,
  FakeLive,
  kubernetesSource,
  minutesAgo,
  pod,
  tbyteSnapshot,
  withEnvironment,
  workload,
} from '../../test/fixtures';
import { cellsOf, envCard, pushSnapshot, renderApp, renderAppLive, textOf } from '../../test/app';

async function openDetail(name: string): Promise<HTMLElement> {
  await fireEvent.click(within(envCard(name)).getByRole('button', { name }));
  return screen.findByTestId('environment-detail');
}

function brokenStaging(): Snapshot {
  return withEnvironment(tbyteSnapshot(), 'staging', (state) => ({
    ...state,
    health: 'degraded',
    healthReason: 'api: 1 of 2 replicas ready',
    workloads: [
      workload(1, 2, {
        revision: '5',
        images: ['ghcr.io/tbyte/api:eee5555'],
        replicaSets: [
          { name: 'api-8f1', revision: '5', desired: 1, ready: 0, images: ['ghcr.io/tbyte/api:eee5555'] },
          { name: 'api-7d9', revision: '4', desired: 1, ready: 1, images: ['ghcr.io/tbyte/api:bbb2222'] },
        ],
        pods: [
          pod('api-7d9-abcde', { replicaSet: 'api-7d9', createdAt: minutesAgo(90) }),
          pod('api-8f1-xyz12', {
            replicaSet: 'api-8f1',
            ready: false,
            restarts: 5,
            reason: 'CrashLoopBackOff',
            message: 'back-off 5m0s restarting failed container',
          }),
        ],
      }),
    ],
    rollout: { progress: 0, from: 'bbb2222', to: 'eee5555', stalled: true },
    warnings: [
      {
        object: 'Pod/api-8f1-xyz12',
        reason: 'BackOff',
        message: 'Back-off restarting failed container',
        count: 12,
        lastSeen: minutesAgo(1),
      },
    ],
    helmHistory: [
      { revision: 5, status: 'failed', chart: 'tbyte-0.1.0', appVersion: 'eee5555', description: 'Upgrade failed', deployedAt: minutesAgo(5), images: [] },
      { revision: 4, status: 'superseded', chart: 'tbyte-0.1.0', appVersion: 'bbb2222', description: 'Upgrade complete', deployedAt: minutesAgo(60), images: [] },
    ],
  }));
}

describe('environment detail', () => {
  it('says since when the running version runs whole, and how the console knows', async () => {
    await renderAppLive(
      withEnvironment(tbyteSnapshot(), 'staging', (state) => ({
        ...state,
        runningSince: { at: minutesAgo(110), evidence: 'tbyte-staging-api finished rolling out bbb2222' },
      })),
    );
    const detail = await openDetail('staging');
    expect(textOf(within(detail).getByTestId('running-since'))).toBe(
      'Fully rolled out 1 h ago: tbyte-staging-api finished rolling out bbb2222',
    );
  });

  it('opens from the card name and shows workloads, pods, warnings and Helm history', async () => {
    await renderAppLive(brokenStaging());
    const detail = await openDetail('staging');
    expect(detail).toHaveAttribute('data-environment', 'staging');
    expect(within(detail).getByRole('heading', { level: 1, name: 'staging' })).toHaveFocus();

    expect(textOf(within(detail).getByTestId('detail-health'))).toBe('degraded');
    const workloadBlock = within(detail).getByTestId('workload');
    expect(textOf(workloadBlock)).toContain('api revision 5');
    expect(textOf(workloadBlock)).toContain('1/2 ready');
    expect(within(detail).getAllByTestId('replicaset-row').map(cellsOf)).toEqual([
      'api-8f1 5 0/1 ghcr.io/tbyte/api:eee5555',
      'api-7d9 4 1/1 ghcr.io/tbyte/api:bbb2222',
    ]);
    const bar = within(detail).getByRole('progressbar', { name: 'Rollout in staging' });
    expect(bar).toHaveAttribute('aria-valuenow', '0');
    expect(bar).toHaveClass('progress-bar', 'stalled');

    const pods = within(detail).getAllByTestId('pod-row');
    expect(pods.map((row) => row.dataset.pod)).toEqual(['api-7d9-abcde', 'api-8f1-xyz12']);
    expect(cellsOf(pods[0]!)).toBe('api-7d9-abcde Running ready 0 — 1 h ago');
    expect(cellsOf(pods[1]!)).toContain('not ready 5 CrashLoopBackOff back-off 5m0s restarting failed container');
    expect(pods[1]).toHaveAttribute('data-ready', 'false');

    expect(textOf(within(detail).getByTestId('warning-event'))).toContain('BackOff Pod/api-8f1-xyz12 ×12');
    expect(within(detail).getAllByTestId('helm-row').map(cellsOf)).toEqual([
      '5 tbyte-0.1.0 eee5555 failed 5 min ago Upgrade failed',
      '4 tbyte-0.1.0 bbb2222 superseded 1 h ago Upgrade complete',
    ]);
  });

  it('says how many older warning events are left out, and nothing when none are', async () => {
    await renderAppLive(withEnvironment(brokenStaging(), 'staging', (state) => ({ ...state, warningsLeftOut: 1980 })));
    const detail = await openDetail('staging');
    expect(within(detail).getAllByTestId('warning-event')).toHaveLength(1);
    expect(within(detail).getByTestId('warnings-left-out').textContent).toBe('and 1\u202f980 older warning events');
  });

  it('has no left-out line when every warning is shown', async () => {
    await renderAppLive(brokenStaging());
    const detail = await openDetail('staging');
    expect(within(detail).getAllByTestId('warning-event')).toHaveLength(1);
    expect(within(detail).queryByTestId('warnings-left-out')).toBeNull();
  });

  it('shows the values beside the previous environment\'s as a diff, and another on request', async () => {
    const desk = new FakeDesk();
    desk.values.set('dev', [{ key: 'replicaCount', value: '1' }]);
    desk.values.set('staging', [
      { key: 'ingress.host', value: 'staging.tbyte.local' },
      { key: 'replicaCount', value: '2' },
    ]);
    desk.values.set('production', [
      { key: 'database.instance', value: 'db.t3.medium' },
      { key: 'ingress.host', value: 'tbyte.local' },
      { key: 'replicaCount', value: '2' },
    ]);
    await renderAppLive(tbyteSnapshot(), desk);
    const detail = await openDetail('production');

    const values = within(detail).getByTestId('values');
    await vi.waitFor(() => expect(within(values).getAllByTestId('values-row')).toHaveLength(3));
    expect(desk.callsTo('environmentValues')).toEqual([['production'], ['staging']]);
    const rows = within(values).getAllByTestId('values-row');
    expect(rows.map((row) => [row.dataset.key, row.dataset.change])).toEqual([
      ['database.instance', 'added'],
      ['ingress.host', 'changed'],
      ['replicaCount', 'same'],
    ]);
    expect(rows[1]).toHaveClass('diff-changed');
    expect(cellsOf(rows[1]!)).toBe('~ changed ingress.host staging.tbyte.local tbyte.local');
    expect(textOf(within(values).getByTestId('values-summary'))).toBe('2 of 3 keys differ');

    await fireEvent.change(within(values).getByLabelText('Compare with'), { target: { value: 'dev' } });
    await vi.waitFor(() => expect(desk.callsTo('environmentValues')).toContainEqual(['dev']));
    await vi.waitFor(() =>
      expect(within(values).getAllByTestId('values-row').map((row) => row.dataset.change)).toEqual([
        'added',
        'added',
        'changed',
      ]),
    );

    await fireEvent.click(within(values).getByLabelText('Only differences'));
    expect(within(values).getAllByTestId('values-row')).toHaveLength(3);
  });

  it('says when the values cannot be read', async () => {
    const desk = new FakeDesk();
    await renderAppLive(tbyteSnapshot(), desk);
    desk.failure = { code: 'values.unreadable', message: 'values-prod.yaml: no such file', hint: 'Check valuesFile.' };
    desk.failing = 'environmentValues';
    const detail = await openDetail('production');
    const error = await within(detail).findByTestId('values-error');
    expect(textOf(error)).toBe('values-prod.yaml: no such file Check valuesFile.');
  });

  it('says when the values file sets nothing', async () => {
    await renderAppLive(tbyteSnapshot());
    const detail = await openDetail('dev');
    expect(await within(detail).findByTestId('values-empty')).toHaveTextContent('sets no values');
  });

  it('greys a stale environment with "as of" and the source\'s hint', async () => {
    const snapshot = withEnvironment(tbyteSnapshot(), 'production', (state) => ({ ...state, stale: true, health: 'unknown' }));
    snapshot.sources[1] = kubernetesSource('prod-eks', {
      connected: false,
      lastEventAt: minutesAgo(3),
      lastError: { code: 'kubernetes.unreachable', message: 'connection refused', hint: 'Check kube context `prod-eks`.' },
    });
    await renderAppLive(snapshot);
    const detail = await openDetail('production');
    expect(textOf(within(detail).getByTestId('stale'))).toBe(
      'Cluster unreachable — last known state, as of 3 min ago Check kube context `prod-eks`.',
    );
    expect(within(detail).getByTestId('detail-live')).toHaveClass('frozen');
    expect(within(detail).getAllByTestId('helm-row')).toHaveLength(1);
  });

  it('shows "connecting" before live state', async () => {
    const live = new FakeLive(null);
    renderApp({ live });
    await screen.findAllByTestId('environment-card');
    const detail = await openDetail('dev');
    expect(within(detail).getByTestId('detail-connecting')).toHaveTextContent('Connecting to the cluster and GitHub…');
    expect(within(detail).queryByTestId('pod-row')).not.toBeInTheDocument();
  });

  it('shows why live state is missing', async () => {
    const live = new FakeLive(null);
    live.failure = { code: 'internal', message: 'command get_snapshot not found', hint: 'Update Sluice.' };
    renderApp({ live });
    await screen.findByTestId('live-error');
    const detail = await openDetail('dev');
    expect(textOf(within(detail).getByTestId('live-error'))).toBe(
      'Live state unavailable: command get_snapshot not found Update Sluice.',
    );
  });

  it('says when an environment has no workloads or pods', async () => {
    await renderAppLive(withEnvironment(tbyteSnapshot(), 'dev', (state) => ({ ...state, workloads: [], helmHistory: [] })));
    const detail = await openDetail('dev');
    expect(within(detail).getByText('No Deployments in namespace', { exact: false })).toBeInTheDocument();
    expect(within(detail).getByText('No pods.')).toBeInTheDocument();
    expect(within(detail).getByTestId('no-warnings')).toHaveTextContent('No warning events.');
    expect(within(detail).getByText('No Helm revisions for tbyte-dev.')).toBeInTheDocument();
  });

  it('goes back to the pipeline with Back and with Escape', async () => {
    await renderAppLive(tbyteSnapshot());
    await openDetail('dev');
    await fireEvent.click(screen.getByTestId('back'));
    expect(await screen.findAllByTestId('environment-card')).toHaveLength(3);
    await openDetail('dev');
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(await screen.findAllByTestId('environment-card')).toHaveLength(3);
  });
});

// The row height and viewport height VirtualTable falls back to where there is no layout (jsdom).
const ROW = 30;
const VIEWPORT = 480;
const OVERSCAN = 20;
const NNBSP = '\u202f';
// jsdom takes seconds to build a Snapshot of 5 000 pods and open a screen of it.
const MANY_PODS = { timeout: 30_000 };

/** `pod-0000`…: four digits, so a name says where the pod is in the list. */
function podName(index: number): string {
  return `pod-${String(index).padStart(4, '0')}`;
}

/** Staging with `workloads` Deployments of `perWorkload` pods each; the pods at `failing` crash-loop. */
function bigStaging(workloads: number, perWorkload: number, failing: number[] = []): Snapshot {
  return withEnvironment(tbyteSnapshot(), 'staging', (state) => ({
    ...state,
    workloads: Array.from({ length: workloads }, (_, w): Workload => {
      const pods = Array.from({ length: perWorkload }, (_, p): PodState => {
        const index = w * perWorkload + p;
        return failing.includes(index)
          ? pod(podName(index), { ready: false, restarts: 4, reason: 'CrashLoopBackOff', message: 'back-off 40s' })
          : pod(podName(index));
      });
      const ready = pods.filter((p) => p.ready).length;
      const name = `svc-${String(w).padStart(3, '0')}`;
      return workload(ready, perWorkload, { name, component: name, revision: '7', images: [`ghcr.io/tbyte/${name}:abc`], pods });
    }),
  }));
}

function podNames(detail: HTMLElement): string[] {
  return within(detail)
    .queryAllByTestId('pod-row')
    .map((row) => row.dataset.pod ?? '');
}

function workloadNames(detail: HTMLElement): string[] {
  return within(detail)
    .queryAllByTestId('workload-row')
    .map((row) => row.dataset.workload ?? '');
}

/** The names `from` up to (not including) `to`. */
function range(from: number, to: number, name: (index: number) => string): string[] {
  return Array.from({ length: to - from }, (_, i) => name(from + i));
}

async function scrollTo(region: HTMLElement, top: number): Promise<void> {
  region.scrollTop = top;
  await fireEvent.scroll(region);
}

describe('environment detail, long lists', () => {
  it('counts the workloads on the card when there are many, naming only those not fully ready', MANY_PODS, async () => {
    await renderAppLive(bigStaging(600, 1, [42, 555]));
    const card = envCard('staging');
    const named = within(card)
      .getAllByTestId('ready-workload')
      .map((w) => w.dataset.workload);
    expect(named).toEqual(['svc-042', 'svc-555']);
    expect(textOf(within(card).getByTestId('ready-summary'))).toBe(`598 of 600 workloads`);
    // A few workloads are each named, as before.
    expect(within(envCard('production')).queryByTestId('ready-summary')).toBeNull();
    expect(within(envCard('production')).getAllByTestId('ready-workload').length).toBeGreaterThan(0);
  });

  it('follows the pods turning over first when there are too many to show each', MANY_PODS, async () => {
    await renderAppLive(bigStaging(5, 1000, [17, 2500, 4999]));
    const detail = await openDetail('staging');

    const follow = within(detail).getByTestId('rollout-follow');
    const chips = within(follow).getAllByTestId('follow-pod');
    expect(chips).toHaveLength(24);
    expect(chips.slice(0, 3).map((chip) => chip.querySelector('code')?.textContent)).toEqual([
      'pod-0017',
      'pod-2500',
      'pod-4999',
    ]);
    expect(within(follow).getByTestId('follow-more').textContent?.trim()).toBe(`and 4${NNBSP}976 more pods, all ready`);
  });

  it('renders only the pods in view of 5 000, with spacers for the others, and the count', MANY_PODS, async () => {
    await renderAppLive(bigStaging(5, 1000, [17, 2500, 4999]));
    const detail = await openDetail('staging');

    expect(within(detail).getByTestId('pods-count').textContent).toBe(`5${NNBSP}000 pods · 3 not ready`);
    const region = within(detail).getByRole('region', { name: 'Pods of staging' });
    const table = within(region).getByTestId('pods-table');
    expect(within(table).getAllByRole('columnheader').map(textOf)).toEqual([
      'Pod',
      'Phase',
      'Ready',
      'Restarts',
      'Reason',
      'Age',
    ]);

    // At the top: the rows in view and the overscan below them, nothing above.
    const inView = VIEWPORT / ROW;
    await vi.waitFor(() => expect(podNames(detail)).toEqual(range(0, inView + OVERSCAN, podName)));
    expect(podNames(detail).length).toBeLessThan(100);
    const spacers = table.querySelectorAll<HTMLElement>('tbody tr[aria-hidden="true"]');
    expect([...spacers].map((spacer) => spacer.style.height)).toEqual(['0px', `${(5000 - inView - OVERSCAN) * ROW}px`]);
    // The rows rendered keep every attribute of the short table's.
    const crashing = within(detail).getAllByTestId('pod-row').find((row) => row.dataset.pod === 'pod-0017')!;
    expect(crashing).toHaveClass('failing');
    expect(crashing).toHaveAttribute('data-ready', 'false');
    expect(crashing).toHaveAttribute('data-phase', 'Running');
    expect(cellsOf(crashing)).toBe('pod-0017 Running not ready 4 CrashLoopBackOff back-off 40s —');

    // Half way down: the rows there and the overscan either side; the first ones are gone.
    await scrollTo(region, 2500 * ROW);
    await vi.waitFor(() => expect(podNames(detail)).toEqual(range(2500 - OVERSCAN, 2500 + inView + OVERSCAN, podName)));
    expect(podNames(detail)).not.toContain('pod-0000');
    expect([...spacers].map((spacer) => spacer.style.height)).toEqual([
      `${(2500 - OVERSCAN) * ROW}px`,
      `${(5000 - 2500 - inView - OVERSCAN) * ROW}px`,
    ]);

    // The bottom: the last pods.
    await scrollTo(region, 5000 * ROW);
    await vi.waitFor(() => expect(podNames(detail).at(-1)).toBe('pod-4999'));
  });

  it('shows exactly the pods not ready on request, wherever they are in the list', MANY_PODS, async () => {
    await renderAppLive(bigStaging(5, 1000, [17, 2500, 4999]));
    const detail = await openDetail('staging');
    await scrollTo(within(detail).getByRole('region', { name: 'Pods of staging' }), 1000 * ROW);

    await fireEvent.click(within(detail).getByLabelText('Only pods not ready'));
    await vi.waitFor(() => expect(podNames(detail)).toEqual(['pod-0017', 'pod-2500', 'pod-4999']));
    expect(within(detail).getByTestId('pods-count').textContent).toBe(`5${NNBSP}000 pods · 3 not ready`);

    await fireEvent.click(within(detail).getByLabelText('Only pods not ready'));
    await vi.waitFor(() => expect(podNames(detail)).toContain('pod-1000'));
  });

  it('follows a live update: a pod newly not ready is counted and listed', async () => {
    const { live } = await renderAppLive(bigStaging(3, 100, [17]));
    const detail = await openDetail('staging');
    await fireEvent.click(within(detail).getByLabelText('Only pods not ready'));
    await vi.waitFor(() => expect(podNames(detail)).toEqual(['pod-0017']));

    await pushSnapshot(live, bigStaging(3, 100, [17, 233]));
    await vi.waitFor(() => expect(podNames(detail)).toEqual(['pod-0017', 'pod-0233']));
    expect(textOf(within(detail).getByTestId('pods-count'))).toBe('300 pods · 2 not ready');
  });

  it('says so when the filter leaves no pod', async () => {
    await renderAppLive(bigStaging(5, 100));
    const detail = await openDetail('staging');
    expect(textOf(within(detail).getByTestId('pods-count'))).toBe('500 pods · 0 not ready');
    await fireEvent.click(within(detail).getByLabelText('Only pods not ready'));
    expect(within(detail).getByTestId('pods-all-ready')).toHaveTextContent('Every pod is ready.');
    expect(within(detail).queryByTestId('pod-row')).toBeNull();
  });

  it('renders every pod, in no scroll region and with no count, up to 200', async () => {
    await renderAppLive(bigStaging(2, 100, [150]));
    const detail = await openDetail('staging');
    expect(podNames(detail)).toEqual(range(0, 200, podName));
    expect(within(detail).queryByRole('region', { name: 'Pods of staging' })).toBeNull();
    expect(within(detail).queryByTestId('pods-count')).toBeNull();
    expect(within(detail).queryByLabelText('Only pods not ready')).toBeNull();
    expect(within(detail).getByTestId('pods-table').querySelector('tr[aria-hidden="true"]')).toBeNull();
  });

  it('renders a few pods whole, as ever', async () => {
    await renderAppLive(bigStaging(1, 3, [1]));
    const detail = await openDetail('staging');
    expect(podNames(detail)).toEqual(['pod-0000', 'pod-0001', 'pod-0002']);
    expect(within(detail).queryByRole('region', { name: 'Pods of staging' })).toBeNull();
    expect(within(detail).getByTestId('pods-table').parentElement).toHaveClass('panel');
    // The short table's cells are as they were: the message under the reason, no tooltips.
    const crashing = within(detail).getAllByTestId('pod-row')[1]!;
    expect(crashing.querySelector('[title]')).toBeNull();
  });

  it('lists 600 workloads one a line, only those in view, with the count', async () => {
    await renderAppLive(bigStaging(600, 1, [42, 555]));
    const detail = await openDetail('staging');

    expect(within(detail).queryByTestId('workload')).toBeNull();
    expect(within(detail).queryByTestId('replicaset-row')).toBeNull();
    expect(textOf(within(detail).getByTestId('workloads-count'))).toBe('600 workloads · 2 not fully ready');
    const region = within(detail).getByRole('region', { name: 'Workloads of staging' });
    expect(within(region).getAllByRole('columnheader').map(textOf)).toEqual([
      'Workload',
      'Revision',
      'Ready',
      'Updated',
      'Available',
      'Restarts',
      'Image',
    ]);
    const name = (index: number) => `svc-${String(index).padStart(3, '0')}`;
    const inView = VIEWPORT / ROW;
    await vi.waitFor(() => expect(workloadNames(detail)).toEqual(range(0, inView + OVERSCAN, name)));
    expect(cellsOf(within(detail).getAllByTestId('workload-row')[0]!)).toBe('svc-000 7 1/1 1 1 0 ghcr.io/tbyte/svc-000:abc');

    await scrollTo(region, 300 * ROW);
    await vi.waitFor(() => expect(workloadNames(detail)).toEqual(range(300 - OVERSCAN, 300 + inView + OVERSCAN, name)));
    expect(workloadNames(detail)).not.toContain('svc-000');

    await fireEvent.click(within(detail).getByLabelText('Only workloads not fully ready'));
    await vi.waitFor(() => expect(workloadNames(detail)).toEqual(['svc-042', 'svc-555']));
    expect(cellsOf(within(detail).getAllByTestId('workload-row')[0]!)).toBe('svc-042 7 0/1 1 0 0 ghcr.io/tbyte/svc-042:abc');
  });

  it('shows up to 50 workloads in full, as ever', async () => {
    await renderAppLive(bigStaging(50, 1));
    const detail = await openDetail('staging');
    expect(within(detail).getAllByTestId('workload')).toHaveLength(50);
    expect(within(detail).queryByTestId('workload-row')).toBeNull();
    expect(within(detail).queryByTestId('workloads-count')).toBeNull();
    expect(within(detail).queryByRole('region', { name: 'Workloads of staging' })).toBeNull();
  });
});
