import { act, fireEvent, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Review } from '../bindings';
import {
  FakeDesk,
  account,
  approvableReview,
  pod,
  productionGate,
  reviewFixture,
  sessionInfo,
  tbyteSnapshot,
  withEnvironment,
  workload,
} from '../../test/fixtures';
import { cellsOf, pushSnapshot, renderAppLive, textOf } from '../../test/app';

afterEach(() => {
  vi.useRealTimers();
});

function deskWith(review: Review, signedIn = true): FakeDesk {
  const desk = new FakeDesk();
  if (signedIn) desk.session = sessionInfo({ account: account('alice') });
  desk.reviews.set('production', review);
  return desk;
}

async function openReview(review: Review, signedIn = true) {
  const desk = deskWith(review, signedIn);
  const rendered = await renderAppLive(tbyteSnapshot(), desk);
  await fireEvent.click(screen.getByTestId('gate-review'));
  const panel = await screen.findByTestId('review');
  await within(panel).findByTestId('decide');
  return { ...rendered, panel };
}

describe('promotion review', () => {
  it('shows what would ship: versions, release notes, conditions and reviewers', async () => {
    const review = reviewFixture({
      gate: productionGate({
        pending: {
          ...productionGate().pending,
          imageChanges: [{ workload: 'api', from: 'ghcr.io/tbyte/api:aaa1111', to: 'ghcr.io/tbyte/api:bbb2222' }],
          valuesDiff: [{ key: 'resources.requests.cpu', from: '100m', to: '200m' }],
        },
      }),
    });
    const { panel, desk } = await openReview(review);

    expect(within(panel).getByRole('heading', { level: 1, name: 'Promote into production' })).toHaveFocus();
    expect(textOf(within(panel).getByTestId('review-versions'))).toBe('staging aaa1111 → production bbb2222');
    const notes = within(panel).getByTestId('release-notes');
    expect(within(notes).getAllByTestId('release-note-item').map(textOf)).toEqual([
      'Add retries (#42)',
      'bbb2222 Add retries (@bob)',
      'bbb2221 Fix typo (@carol)',
      'bbb2220 Bump deps (@bob)',
    ]);
    await fireEvent.click(within(notes).getByRole('button', { name: '#42' }));
    expect(desk.callsTo('openUrl')).toEqual([['https://github.com/acme/app/pull/42']]);

    expect(cellsOf(within(panel).getByTestId('image-change'))).toBe(
      'api ghcr.io/tbyte/api:aaa1111 ghcr.io/tbyte/api:bbb2222',
    );
    const valueRow = within(panel).getByTestId('review-value-row');
    expect(valueRow).toHaveAttribute('data-change', 'changed');
    expect(cellsOf(valueRow)).toBe('~ changed resources.requests.cpu 100m 200m');

    const conditions = within(panel).getAllByTestId('review-condition');
    expect(conditions.map((c) => [c.dataset.kind, c.dataset.met])).toEqual([
      ['checks', 'true'],
      ['soak', 'false'],
    ]);
    expect(textOf(conditions[1])).toBe('✗ soak not met: bbb2222 has run 3h in staging; 24h required');
    expect(textOf(within(panel).getByTestId('reviewers'))).toBe('@alice@tbyte-org/production-approvers');
  });

  it('copies the release notes as Markdown', async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const review = reviewFixture();
    const { panel } = await openReview(review);

    await fireEvent.click(within(panel).getByRole('button', { name: 'Copy as Markdown' }));
    expect(writeText).toHaveBeenCalledWith(review.releaseNotes);
    expect(await within(panel).findByText('Copied')).toBeInTheDocument();
    Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
  });

  it('falls back to a textarea when the clipboard API is missing', async () => {
    Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
    const execCommand = vi.fn(() => true);
    Object.defineProperty(document, 'execCommand', { value: execCommand, configurable: true });
    const { panel } = await openReview(reviewFixture());

    await fireEvent.click(within(panel).getByRole('button', { name: 'Copy as Markdown' }));
    expect(execCommand).toHaveBeenCalledWith('copy');
    expect(await within(panel).findByText('Copied')).toBeInTheDocument();
  });

  it('disables Approve and Reject with the reasons next to them', async () => {
    const { panel, desk } = await openReview(reviewFixture(), false);

    const approve = within(panel).getByRole('button', { name: 'Approve' });
    expect(approve).toBeDisabled();
    expect(approve).toHaveAccessibleDescription('bbb2222 has run 3h in staging; 24h required');
    expect(within(panel).getByTestId('refusals')).toHaveTextContent('24h required');
    const reject = within(panel).getByRole('button', { name: 'Reject' });
    expect(reject).toBeDisabled();
    expect(reject).toHaveAccessibleDescription(/Rejecting is possible only/);
    await fireEvent.click(approve);
    expect(within(panel).queryByTestId('confirm-approve')).not.toBeInTheDocument();
    expect(desk.callsTo('act')).toEqual([]);
  });

  it('approves after an in-page confirmation, with the comment, then follows the rollout to its outcome', async () => {
    const desk = deskWith(approvableReview());
    desk.outcome = { result: 'succeeded', message: 'production runs bbb2222' };
    const { live } = await renderAppLive(tbyteSnapshot(1), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');

    const approve = within(panel).getByRole('button', { name: 'Approve' });
    expect(approve).toBeEnabled();
    expect(within(panel).getByRole('button', { name: 'Reject' })).toBeEnabled();
    await fireEvent.input(within(panel).getByLabelText('Comment'), { target: { value: 'Ship it' } });
    await fireEvent.click(approve);

    const confirm = within(panel).getByTestId('confirm-approve');
    expect(textOf(confirm)).toContain('Approve promoting bbb2222 into production?');
    expect(desk.callsTo('act')).toEqual([]);
    // Cancel returns; Approve again, then confirm.
    await fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(within(panel).queryByTestId('confirm-approve')).not.toBeInTheDocument();
    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    expect(within(panel).getByTestId('confirm-approve-button')).toHaveFocus();

    await fireEvent.click(within(panel).getByTestId('confirm-approve-button'));
    expect(desk.callsTo('act')).toEqual([['production', 'approve', 'Ship it', null]]);

    // Production rolls out while act runs; the screen follows it.
    await pushSnapshot(
      live,
      withEnvironment(tbyteSnapshot(2), 'production', (state) => ({
        ...state,
        health: 'progressing',
        workloads: [workload(3, 3)],
        rollout: { progress: 0.66, from: 'aaa1111', to: 'bbb2222', stalled: false },
      })),
    );
    const outcome = await within(panel).findByTestId('outcome');
    expect(outcome).toHaveAttribute('data-result', 'succeeded');
    expect(textOf(outcome)).toBe('✓ succeeded: production runs bbb2222, 3/3 ready');
    expect(within(panel).getByTestId('rollout-follow')).toBeInTheDocument();
    expect(within(panel).queryByTestId('rollback')).not.toBeInTheDocument();
  });

  it('shows the rollout live while the approval runs', async () => {
    const desk = deskWith(approvableReview());
    let resolveAct: (value: { result: 'succeeded'; message: string }) => void = () => {};
    const { live } = await renderAppLive(tbyteSnapshot(1), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');
    // act answers with the desk's outcome: make it a promise the test settles.
    const pending = new Promise<{ result: 'succeeded'; message: string }>((resolve) => (resolveAct = resolve));
    Object.defineProperty(desk, 'outcome', { get: () => pending as never, configurable: true });

    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    await fireEvent.click(within(panel).getByTestId('confirm-approve-button'));
    expect(await within(panel).findByTestId('acting')).toHaveTextContent('Waiting for production to finish…');
    expect(within(panel).getByRole('button', { name: 'Approve' })).toBeDisabled();

    await pushSnapshot(
      live,
      withEnvironment(tbyteSnapshot(2), 'production', (state) => ({
        ...state,
        health: 'progressing',
        workloads: [
          workload(2, 3, {
            pods: [
              pod('api-new-1', { phase: 'Running', ready: true }),
              pod('api-new-2', { phase: 'Pending', ready: false }),
              pod('api-old-1', { phase: 'Terminating', ready: false }),
            ],
          }),
        ],
        rollout: { progress: 0.33, from: 'aaa1111', to: 'bbb2222', stalled: false },
      })),
    );
    const follow = within(panel).getByTestId('rollout-follow');
    expect(within(follow).getByRole('progressbar', { name: 'Rollout in production' })).toHaveAttribute('aria-valuenow', '33');
    expect(textOf(within(follow).getByTestId('follow-ready'))).toBe('2/3 ready');
    expect(within(follow).getAllByTestId('follow-pod').map(textOf)).toEqual([
      'api-new-1 Running, ready',
      'api-new-2 Pending',
      'api-old-1 Terminating',
    ]);
    // No review refresh while acting.
    const reviewsAsked = desk.callsTo('review').length;
    await act(() => new Promise((resolve) => setTimeout(resolve, 500)));
    expect(desk.callsTo('review')).toHaveLength(reviewsAsked);

    resolveAct({ result: 'succeeded', message: 'production runs bbb2222' });
    expect(await within(panel).findByTestId('outcome')).toHaveAttribute('data-result', 'succeeded');
  });

  it('shows a failed rollout\'s message and hint, and offers a confirmed rollback', async () => {
    const desk = deskWith(approvableReview());
    await renderAppLive(tbyteSnapshot(), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');

    desk.failure = {
      code: 'promotion.failed',
      message: 'production: rollout of bbb2222 exceeded its progress deadline',
      hint: "The cluster has the last word; see the environment's workloads for what happened.",
    };
    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    await fireEvent.click(within(panel).getByTestId('confirm-approve-button'));

    const outcome = await within(panel).findByTestId('outcome');
    expect(outcome).toHaveAttribute('data-code', 'promotion.failed');
    expect(outcome).toHaveTextContent('production: rollout of bbb2222 exceeded its progress deadline');
    expect(outcome).toHaveTextContent("The cluster has the last word; see the environment's workloads");

    desk.outcome = { result: 'succeeded', message: 'production rolled back to revision 4' };
    await fireEvent.click(within(panel).getByRole('button', { name: 'Roll back production' }));
    expect(desk.callsTo('rollback')).toEqual([]);
    await fireEvent.click(within(panel).getByTestId('confirm-rollback-button'));
    expect(desk.callsTo('rollback')).toEqual([['production']]);
    expect(textOf(await within(panel).findByTestId('rollback-outcome'))).toBe(
      'Rollback succeeded: production rolled back to revision 4',
    );
  });

  it('shows a refusal as such, without offering a rollback', async () => {
    const desk = deskWith(approvableReview());
    await renderAppLive(tbyteSnapshot(), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');

    desk.failure = { code: 'promotion.refused', message: 'GitHub refused: 422 Unprocessable', hint: 'GitHub has the last word.' };
    await fireEvent.click(within(panel).getByRole('button', { name: 'Reject' }));
    const outcome = await within(panel).findByTestId('outcome');
    expect(desk.callsTo('act')).toEqual([['production', 'reject', '', null]]);
    expect(outcome).toHaveTextContent('GitHub refused: 422 Unprocessable');
    expect(outcome).toHaveTextContent('GitHub has the last word.');
    expect(within(panel).queryByTestId('rollback')).not.toBeInTheDocument();
  });

  it('offers a rollback when the outcome says the rollout failed', async () => {
    const desk = deskWith(approvableReview());
    desk.outcome = { result: 'failed', message: 'production: 1 of 3 replicas ready after 10 min' };
    await renderAppLive(tbyteSnapshot(), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');
    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    await fireEvent.click(within(panel).getByTestId('confirm-approve-button'));
    expect(textOf(await within(panel).findByTestId('outcome'))).toBe(
      '✗ failed: production: 1 of 3 replicas ready after 10 min',
    );
    expect(within(panel).getByRole('button', { name: 'Roll back production' })).toBeInTheDocument();
  });

  it('offers an override with a mandatory reason when only the soak blocks', async () => {
    const review = reviewFixture({ mayOverride: true });
    const { panel, desk } = await openReview(review);

    const approve = within(panel).getByRole('button', { name: 'Approve' });
    expect(approve).toBeDisabled();
    const reason = within(panel).getByLabelText(/Override with reason/);
    await fireEvent.input(reason, { target: { value: 'Hotfix for incident 4711' } });
    expect(approve).toBeEnabled();
    await fireEvent.click(approve);
    await fireEvent.click(within(panel).getByTestId('confirm-approve-button'));
    expect(desk.callsTo('act')).toEqual([['production', 'approve', '', 'Hotfix for incident 4711']]);
  });

  it('offers no override when the console says one would not let the person approve', async () => {
    const review = reviewFixture({
      mayOverride: false,
      decision: {
        allowed: false,
        refusals: ['bbb2222 has run 3h in staging; 24h required', 'Sign in to approve.'],
        overridden: [],
      },
    });
    const { panel } = await openReview(review);
    expect(within(panel).queryByLabelText(/Override with reason/)).not.toBeInTheDocument();
  });

  it('shows a loading state, then the error with a retry', async () => {
    const desk = new FakeDesk();
    await renderAppLive(tbyteSnapshot(), desk);
    desk.failure = { code: 'promotion.not-ready', message: 'The live state is not known yet.', hint: 'Wait a moment.' };
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    const error = await within(panel).findByTestId('error');
    expect(within(error).getByRole('heading')).toHaveTextContent('Sluice could not work out this promotion');
    expect(error).toHaveTextContent('The live state is not known yet.');
    expect(error).toHaveTextContent('Wait a moment.');

    desk.reviews.set('production', reviewFixture());
    await fireEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await within(panel).findByTestId('decide')).toBeInTheDocument();
  });

  it('asks for the review again when the live state changes, once the snapshots settle', async () => {
    const desk = deskWith(reviewFixture());
    const { live } = await renderAppLive(tbyteSnapshot(1), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');
    expect(desk.callsTo('review')).toHaveLength(1);

    desk.reviews.set('production', approvableReview());
    await pushSnapshot(live, tbyteSnapshot(2));
    await pushSnapshot(live, tbyteSnapshot(3));
    await vi.waitFor(() => expect(within(panel).getByRole('button', { name: 'Approve' })).toBeEnabled());
    expect(desk.callsTo('review')).toHaveLength(2);
  });
});
