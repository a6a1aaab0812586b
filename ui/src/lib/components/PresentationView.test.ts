import { fireEvent, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { FakeDesk, pod, sessionInfo, tbyteSnapshot, withEnvironment, workload } from '../../test/fixtures';
import { pushSnapshot, renderAppLive, textOf } from '../../test/app';

describe('presentation mode', () => {
  it('goes full screen with the pipeline alone, and leaves it on Escape', async () => {
    const { desk } = await renderAppLive(tbyteSnapshot());
    await fireEvent.click(screen.getByRole('button', { name: 'Present' }));

    const present = await screen.findByTestId('presentation');
    await vi.waitFor(() => expect(desk.callsTo('setFullscreen')).toEqual([[true]]));
    expect(screen.queryByTestId('top-bar')).not.toBeInTheDocument();
    expect(within(present).getAllByTestId('environment-card')).toHaveLength(3);
    // Live state only: the configured facts stay on the pipeline screen.
    expect(within(present).queryByText('Namespace')).not.toBeInTheDocument();
    expect(within(present).queryByTestId('gate-review')).not.toBeInTheDocument();
    expect(within(present).queryByTestId('demo-speed')).not.toBeInTheDocument();

    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('presentation')).not.toBeInTheDocument();
    expect(desk.callsTo('setFullscreen')).toEqual([[true], [false]]);
    expect(screen.getByTestId('top-bar')).toBeInTheDocument();
  });

  it('leaves with the Exit button too', async () => {
    const { desk } = await renderAppLive(tbyteSnapshot());
    await fireEvent.click(screen.getByTestId('nav-present'));
    await fireEvent.click(await screen.findByRole('button', { name: /Exit presentation/ }));
    expect(desk.callsTo('setFullscreen')).toEqual([[true], [false]]);
    expect(await screen.findAllByTestId('environment-card')).toHaveLength(3);
  });

  it('follows the active rollout, with its progress and pods, and shows the demo speed', async () => {
    const desk = new FakeDesk();
    desk.session = sessionInfo({ demo: true, demoSpeed: 10 });
    const { live } = await renderAppLive(tbyteSnapshot(1), desk);
    await fireEvent.click(screen.getByTestId('nav-present'));
    const present = await screen.findByTestId('presentation');
    expect(within(present).queryByTestId('presentation-focus')).not.toBeInTheDocument();
    expect(within(present).getByRole('button', { name: '10× speed' })).toHaveAttribute('aria-pressed', 'true');

    await pushSnapshot(
      live,
      withEnvironment(tbyteSnapshot(2), 'production', (state) => ({
        ...state,
        health: 'progressing',
        workloads: [workload(2, 3, { pods: [pod('api-new-1'), pod('api-old-1', { phase: 'Terminating', ready: false })] })],
        rollout: { progress: 0.5, from: 'aaa1111', to: 'bbb2222', stalled: false },
      })),
    );
    const focus = within(present).getByTestId('presentation-focus');
    expect(focus).toHaveAttribute('data-environment', 'production');
    expect(within(focus).getByRole('heading')).toHaveTextContent('Rolling out in production');
    expect(within(focus).getByRole('progressbar', { name: 'Rollout in production' })).toHaveAttribute('aria-valuenow', '50');
    expect(within(focus).getAllByTestId('follow-pod').map(textOf)).toEqual(['api-new-1 Running, ready', 'api-old-1 Terminating']);
    const card = within(present).getAllByTestId('environment-card').find((c) => c.dataset.environment === 'production');
    expect(card).toHaveClass('active');

    // Done: the last rollout stays in view.
    await pushSnapshot(live, tbyteSnapshot(3));
    expect(within(present).getByTestId('presentation-focus')).toHaveTextContent('Last rollout in production');
  });
});
