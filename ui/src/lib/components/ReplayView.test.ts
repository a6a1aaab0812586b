import { fireEvent, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { Replay } from '../bindings';
import { frameAt } from '../replay';
import { FakeDesk, auditAttempts, environmentState, tbyteSnapshot, workload } from '../../test/fixtures';
import { renderAppLive, textOf } from '../../test/app';

/** Production from aaa1111 to bbb2222 over 3 s: before, a third, two thirds, done. */
function replayOfProduction(): Replay {
  const at = (atMs: number, version: string, progress: number | null, ready: number) => ({
    atMs,
    state: {
      ...environmentState('production', version, 3),
      workloads: [workload(ready, 3)],
      rollout: progress === null ? null : { progress, from: 'aaa1111', to: 'bbb2222', stalled: false },
    },
  });
  return {
    correlation: 'r1',
    environment: 'production',
    startedAt: '2026-12-06T10:00:00Z',
    frames: [at(0, 'aaa1111', null, 3), at(1000, 'aaa1111', 1 / 3, 3), at(2000, 'aaa1111', 2 / 3, 3), at(3000, 'bbb2222', null, 3)],
    leftOut: 0,
  };
}

/** Opens the audit view and replays the one attempt it offers to replay. */
async function openReplay(desk: FakeDesk) {
  await renderAppLive(tbyteSnapshot(), desk);
  await fireEvent.click(screen.getByTestId('nav-audit'));
  await screen.findAllByTestId('audit-attempt');
  const offered = screen.getAllByTestId('audit-replay');
  expect(offered).toHaveLength(1);
  await fireEvent.click(offered[0]!);
}

const bar = () => screen.getByTestId('replay-focus').querySelector('[role="progressbar"]')!;

describe('replay', () => {
  it('finds the frame recorded at or before a position', () => {
    const frames = replayOfProduction().frames;
    expect(frameAt(frames, 0)?.atMs).toBe(0);
    expect(frameAt(frames, 1999)?.atMs).toBe(1000);
    expect(frameAt(frames, 99_999)?.atMs).toBe(3000);
    expect(frameAt([], 10)).toBeNull();
  });

  it('is offered on a recorded attempt and plays the rollout to its end; the scrubber shows any moment', async () => {
    const desk = new FakeDesk();
    const [first, ...rest] = auditAttempts();
    desk.attempts = [{ ...first!, correlation: 'r1', replayable: true }, ...rest.map((a) => ({ ...a, replayable: false }))];
    desk.replays.set('r1', replayOfProduction());
    await openReplay(desk);
    await screen.findByTestId('replay-focus');
    expect(desk.callsTo('replay')).toEqual([['r1']]);
    expect(textOf(screen.getByRole('heading', { level: 1 }))).toBe('Replay: production, 2026-12-06 10:00 UTC');

    await fireEvent.click(screen.getByTestId('replay-speed-60'));
    await vi.waitFor(() => expect(textOf(screen.getByTestId('replay-time'))).toBe('3.0 s / 3.0 s'), { timeout: 3000 });
    expect(bar()).toHaveAttribute('aria-valuenow', '100');
    expect(within(screen.getByTestId('replay-focus')).getByText('bbb2222')).toBeInTheDocument();
    expect(screen.getByTestId('replay-play')).toHaveTextContent('Play');

    await fireEvent.input(screen.getByTestId('replay-scrubber'), { target: { value: '1500' } });
    expect(bar()).toHaveAttribute('aria-valuenow', '33');
    expect(textOf(screen.getByTestId('replay-time'))).toBe('1.5 s / 3.0 s');
  });

  it('says so when nothing was recorded', async () => {
    const desk = new FakeDesk();
    desk.attempts = auditAttempts().map((a, i) => ({ ...a, replayable: i === 0 }));
    await openReplay(desk);
    expect(await screen.findByTestId('replay-error')).toHaveTextContent('no replay of');
  });
});
