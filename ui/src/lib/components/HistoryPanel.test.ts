import { fireEvent, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { History, HistoryRow, RollbackPlan } from '../bindings';
import { FakeDesk, minutesAgo, tbyteSnapshot } from '../../test/fixtures';
import { cellsOf, envCard, renderAppLive, textOf } from '../../test/app';

function row(revision: number, version: string, rest: Partial<HistoryRow> = {}): HistoryRow {
  return {
    revision,
    version,
    sha: null,
    images: [`ghcr.io/tbyte/api:${version}`],
    at: null,
    by: null,
    how: 'kubernetes',
    status: 'replaced',
    result: null,
    durationSecs: null,
    current: false,
    rollbackRefusal: null,
    ...rest,
  };
}

const history: History = {
  environment: 'production',
  rows: [
    row(3, 'ccc3333', {
      current: true,
      status: 'running',
      by: 'alice-approver',
      how: 'kubernetes, by Sluice',
      result: 'succeeded',
      durationSecs: 95,
      at: minutesAgo(10),
      rollbackRefusal: 'it is what the environment runs now',
    }),
    row(2, 'bbb2222', { by: 'bob-lead', how: 'GitHub deployment (success)', at: minutesAgo(120) }),
    row(1, 'aaa1111', { rollbackRefusal: 'Kubernetes no longer keeps it for api (revision history limit)' }),
  ],
  problems: [],
};

const plan: RollbackPlan = {
  environment: 'production',
  revision: 2,
  fromVersion: 'ccc3333',
  toVersion: 'bbb2222',
  imagesRemoved: ['ghcr.io/tbyte/api:ccc3333'],
  imagesRestored: ['ghcr.io/tbyte/api:bbb2222'],
  commitsGoingAway: [{ sha: 'ccc3333000000', title: 'Cache rate cards', author: 'dave-developer' }],
  commitsUnknown: null,
  refusal: null,
};

async function openHistory(desk: FakeDesk): Promise<HTMLElement> {
  await renderAppLive(tbyteSnapshot(), desk);
  await fireEvent.click(within(envCard('production')).getByRole('button', { name: 'production' }));
  const panel = await screen.findByTestId('history');
  await within(panel).findByTestId('history-table');
  return panel;
}

describe('history panel', () => {
  it('shows each revision as the console merged it, offering rollback only where it says so', async () => {
    const desk = new FakeDesk();
    desk.histories.set('production', history);
    const panel = await openHistory(desk);
    expect(desk.callsTo('history')).toEqual([['production']]);
    const rows = within(panel).getAllByTestId('history-row');
    expect(rows.map(cellsOf)).toEqual([
      // Cells are joined by one space: an empty cell (no duration, no button) leaves two.
      '3 ccc3333 runs now 10 min ago @alice-approver kubernetes, by Sluice running 95 s ',
      '2 bbb2222 2 h ago @bob-lead GitHub deployment (success) replaced  Roll back to this',
      '1 aaa1111 — — kubernetes replaced  not offered',
    ]);
    expect(within(rows[2]!).getByTestId('history-not-offered')).toHaveAttribute(
      'title',
      'Kubernetes no longer keeps it for api (revision history limit)',
    );
    expect(within(panel).getAllByTestId('history-rollback')).toHaveLength(1);
  });

  it('shows what a rollback changes before it runs, then runs exactly that revision', async () => {
    const desk = new FakeDesk();
    desk.histories.set('production', history);
    desk.plans.set('production@2', plan);
    desk.outcome = { result: 'succeeded', message: 'rolled back tbyte-prod-api; production runs bbb2222', running: 'bbb2222', rollback: null };
    const panel = await openHistory(desk);
    await fireEvent.click(within(panel).getByTestId('history-rollback'));
    const shown = await within(panel).findByTestId('history-plan');
    expect(desk.callsTo('rollbackPlan')).toEqual([['production', 2]]);
    // Nothing runs before it is confirmed.
    expect(desk.callsTo('rollback')).toEqual([]);
    expect(textOf(shown)).toContain('Roll production back to revision 2: ccc3333 → bbb2222');
    expect(within(shown).getAllByTestId('plan-removed').map(textOf)).toEqual(['− ghcr.io/tbyte/api:ccc3333']);
    expect(within(shown).getAllByTestId('plan-restored').map(textOf)).toEqual(['+ ghcr.io/tbyte/api:bbb2222']);
    expect(textOf(within(shown).getByTestId('plan-commits'))).toBe('ccc3333 Cache rate cards (dave-developer)');

    await fireEvent.click(within(shown).getByTestId('history-plan-confirm'));
    const outcome = await within(panel).findByTestId('history-rollback-outcome');
    expect(desk.callsTo('rollback')).toEqual([['production', 2]]);
    expect(outcome).toHaveAttribute('data-result', 'succeeded');
    expect(textOf(outcome)).toBe('Rollback succeeded: rolled back tbyte-prod-api; production runs bbb2222');
    await vi.waitFor(() => expect(desk.callsTo('history')).toHaveLength(2));
  });

  it('says why a revision cannot be restored and offers no button to try', async () => {
    const desk = new FakeDesk();
    desk.histories.set('production', history);
    desk.plans.set('production@2', { ...plan, refusal: 'its manifest names no images, so what it would restore is not known' });
    const panel = await openHistory(desk);
    await fireEvent.click(within(panel).getByTestId('history-rollback'));
    const shown = await within(panel).findByTestId('history-plan');
    expect(textOf(within(shown).getByTestId('history-plan-refusal'))).toBe(
      'Not possible: its manifest names no images, so what it would restore is not known.',
    );
    expect(within(shown).queryByTestId('history-plan-confirm')).toBeNull();
  });
});
