import { act, fireEvent, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Outcome, Review } from '../bindings';
import {
  FakeDesk,
  account,
  approvableReview,
  fullSha,
  helmPreview,
  overridableReview,
  pod,
  refusal,
  reviewFixture,
  sessionInfo,
  tbyteSnapshot,
  waitingRun,
  withEnvironment,
  workload,
} from '../../test/fixtures';
import { cellsOf, pushSnapshot, renderAppLive, textOf } from '../../test/app';
import { CONFIRM_ARMING_MS } from './PromotionReview.svelte';

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

/** Clicks a confirm button once it accepts activation (it ignores it for a moment after appearing). */
async function confirmWhenArmed(panel: HTMLElement, testid = 'confirm-approve-button'): Promise<void> {
  const button = within(panel).getByTestId(testid);
  await vi.waitFor(() => expect(button).toBeEnabled(), { timeout: CONFIRM_ARMING_MS + 1000 });
  await fireEvent.click(button);
}

/** Enter on the focused button, as a browser does it: keydown, then the button's click. */
async function pressEnter(): Promise<void> {
  const focused = document.activeElement as HTMLElement;
  await fireEvent.keyDown(focused, { key: 'Enter' });
  if (focused instanceof HTMLButtonElement && !focused.disabled) await fireEvent.click(focused);
}

const pause = (ms: number) => act(() => new Promise((resolve) => setTimeout(resolve, ms)));

function outcome(rest: Partial<Outcome> = {}): Outcome {
  return { result: 'succeeded', message: 'production runs bbb2222', running: 'bbb2222', rollback: null, ...rest };
}

describe('promotion review', () => {
  it('shows what would ship: the target first, release notes, images, values, conditions and reviewers', async () => {
    const review = reviewFixture({
      imageChanges: [
        {
          workload: 'tbyte-prod-api',
          container: 'api',
          sourceWorkload: 'tbyte-staging-api',
          from: 'ghcr.io/tbyte/api:aaa1111',
          to: 'ghcr.io/tbyte/api:bbb2222',
        },
      ],
      values: {
        before: 'production as deployed (Helm revision 4)',
        after: 'values-prod.yaml at bbb2222, image.tag = bbb2222',
        changes: [
          { key: 'image.tag', from: 'aaa1111', to: 'bbb2222' },
          { key: 'resources.requests.cpu', from: '200m', to: '250m' },
        ],
        chart: { key: 'chart', from: 'tbyte-0.1.0', to: 'tbyte-0.2.0' },
        notes: ['values-prod.yaml was read from the local checkout, not from bbb2222.'],
      },
    });
    const { panel, desk } = await openReview(review);

    expect(within(panel).getByRole('heading', { level: 1, name: 'Promote into production' })).toHaveFocus();
    // What production runs → what Approve ships; staging appears only as the source.
    expect(textOf(within(panel).getByTestId('review-versions'))).toBe('production aaa1111 → bbb2222 · from staging');
    expect(textOf(within(panel).getByTestId('review-summary'))).toBe('3 commits / 1 PR · GitHub approval');

    const notes = within(panel).getByTestId('release-notes');
    expect(textOf(within(notes).getByTestId('release-notes-heading'))).toBe(review.notes.heading);
    const items = within(notes).getAllByTestId('release-note-item');
    expect(items.map((item) => [item.dataset.kind, textOf(item)])).toEqual([
      ['pull-request', '#42 Add retries'],
      ['commit', `${fullSha('bbb2220')} Bump deps (@bob)`],
      ['commit', `${fullSha('bbb2221')} Fix typo (@carol)`],
      ['commit', `${fullSha('bbb2222')} Add retries (@bob)`],
    ]);
    expect(within(notes).queryByTestId('release-notes-empty')).not.toBeInTheDocument();
    await fireEvent.click(within(notes).getByRole('button', { name: /#42 Add retries/ }));
    expect(desk.callsTo('openUrl')).toEqual([['https://github.com/acme/app/pull/42', false]]);

    const image = within(panel).getByTestId('image-change');
    const imageTable = image.closest('table')!;
    expect([...imageTable.querySelectorAll('thead th')].map(textOf)).toEqual(['Workload', 'Container', 'Now', 'After']);
    expect(cellsOf(image)).toBe('tbyte-prod-api api ghcr.io/tbyte/api:aaa1111 ghcr.io/tbyte/api:bbb2222');

    const values = within(panel).getByTestId('review-values');
    expect(textOf(within(values).getByTestId('review-values-sides'))).toBe(
      'production as deployed (Helm revision 4) → values-prod.yaml at bbb2222, image.tag = bbb2222',
    );
    const rows = within(values).getAllByTestId('review-value-row');
    expect(rows.map((row) => [row.dataset.change, cellsOf(row)])).toEqual([
      ['changed', '~ changed chart tbyte-0.1.0 tbyte-0.2.0'],
      ['changed', '~ changed image.tag aaa1111 bbb2222'],
      ['changed', '~ changed resources.requests.cpu 200m 250m'],
    ]);
    expect(within(values).getAllByTestId('review-values-note').map(textOf)).toEqual(review.values.notes);

    const conditions = within(panel).getAllByTestId('review-condition');
    expect(conditions.map((c) => [c.dataset.kind, c.dataset.met])).toEqual([
      ['checks', 'true'],
      ['soak', 'false'],
    ]);
    expect(textOf(conditions[1])).toBe('✗ soak not met: bbb2222 has run 3h in staging; 24h required');
    expect(textOf(within(panel).getByTestId('reviewers'))).toBe('@alice@tbyte-org/production-approvers');
  });

  it('says so when nothing would ship', async () => {
    const { panel } = await openReview(
      reviewFixture({
        candidate: { sha: fullSha('aaa1111'), label: 'aaa1111', runId: null, shipsSourceVersion: true },
        notes: { ...reviewFixture().notes, heading: 'tbyte: production aaa1111 → aaa1111 (from staging)', commits: [], pullRequests: [], empty: true },
        values: { ...reviewFixture().values, changes: [] },
      }),
    );
    expect(textOf(within(panel).getByTestId('review-versions'))).toBe('production aaa1111 → aaa1111 · from staging');
    expect(within(panel).getByTestId('release-notes-empty')).toHaveTextContent('Nothing to ship');
    expect(within(panel).queryAllByTestId('release-note-item')).toEqual([]);
    expect(within(panel).getByTestId('review-values-empty')).toHaveTextContent('The promotion changes no values.');
  });

  it('copies the release notes as the console wrote them in Markdown', async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const review = reviewFixture();
    const { panel } = await openReview(review);

    await fireEvent.click(within(panel).getByRole('button', { name: 'Copy as Markdown' }));
    expect(writeText).toHaveBeenCalledWith(review.notes.markdown);
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

  it('disables Approve, Reject and the comment with the console\'s reasons next to them', async () => {
    const review = reviewFixture();
    const { panel, desk } = await openReview(review, false);

    const approve = within(panel).getByRole('button', { name: 'Approve' });
    expect(approve).toBeDisabled();
    const sentences = review.decision.approve.refusals.map((r) => r.sentence);
    expect(approve).toHaveAccessibleDescription(sentences.join(' '));
    expect(within(within(panel).getByTestId('refusals')).getAllByRole('listitem').map(textOf)).toEqual(sentences);
    const reject = within(panel).getByRole('button', { name: 'Reject' });
    expect(reject).toBeDisabled();
    expect(reject).toHaveAccessibleDescription(review.decision.reject.refusals[0]!.sentence);
    expect(within(panel).getByLabelText('Comment')).toBeDisabled();
    await fireEvent.click(approve);
    expect(within(panel).queryByTestId('confirm-approve')).not.toBeInTheDocument();
    expect(desk.callsTo('act')).toEqual([]);
  });

  it('says a reason once when Approve and Reject are refused for it', async () => {
    const signIn = refusal('not-signed-in', 'Sign in with GitHub to approve or reject.');
    const review = reviewFixture({
      decision: {
        ...reviewFixture().decision,
        approve: { allowed: false, refusals: [signIn] },
        reject: { allowed: false, refusals: [signIn] },
      },
    });
    const { panel } = await openReview(review, false);

    expect(within(panel).getByRole('button', { name: 'Reject' })).toHaveAccessibleDescription(signIn.sentence);
    expect(within(panel).queryByTestId('reject-refusal')).not.toBeInTheDocument();
    expect(within(panel).getByTestId('refusals')).toHaveTextContent(signIn.sentence);
  });

  it('approves after a deliberate confirmation, sending the pin of the review shown, then follows the rollout', async () => {
    const review = approvableReview();
    const desk = deskWith(review);
    desk.outcome = outcome();
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
    expect(textOf(confirm)).toContain('Approve promoting bbb2222 into production? GitHub deploys run #77.');
    // Focus lands on Cancel, and the confirm button does not take a click at once.
    await vi.waitFor(() => expect(within(confirm).getByRole('button', { name: 'Cancel' })).toHaveFocus());
    const yes = within(confirm).getByTestId('confirm-approve-button');
    expect(yes).toBeDisabled();
    await fireEvent.click(yes);
    expect(desk.callsTo('act')).toEqual([]);

    await confirmWhenArmed(panel);
    expect(desk.callsTo('act')).toEqual([
      [{ environment: 'production', action: 'approve', comment: 'Ship it', overrideReason: null, pin: review.pin }],
    ]);

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
    const result = await within(panel).findByTestId('outcome');
    expect(result).toHaveAttribute('data-result', 'succeeded');
    expect(textOf(result)).toBe('✓ succeeded: production runs bbb2222, 3/3 ready');
    expect(textOf(within(panel).getByTestId('outcome-running'))).toBe('production runs bbb2222, as the cluster shows it.');
    expect(within(panel).getByTestId('rollout-follow')).toBeInTheDocument();
    expect(within(panel).queryByTestId('rollback')).not.toBeInTheDocument();
    // The review is asked for again once the approval ended.
    await vi.waitFor(() => expect(desk.callsTo('review').length).toBeGreaterThanOrEqual(2));
  });

  it('at a gate asking for two approvals, says where the quorum stands and that this one only counts', async () => {
    const quorum = {
      required: 2,
      approvals: [
        {
          environment: 'production',
          login: 'carol',
          version: 'bbb2222',
          sha: fullSha('bbb2222'),
          from: 'aaa1111',
          at: '2026-05-04T12:00:00Z',
          comment: 'fine by me',
        },
      ],
      notCounted: ['@bob authored or triggered this release: their approval does not count'],
      summary: '1 of 2 approvals: @carol',
    };
    const base = approvableReview();
    const review = approvableReview({ quorum, decision: { ...base.decision, vote: { required: 2, before: 1, ordinal: 2, remaining: 0, completes: true } } });
    const firstOfTwo = approvableReview({
      quorum: { ...quorum, approvals: [], notCounted: [], summary: '0 of 2 approvals' },
      decision: { ...base.decision, vote: { required: 2, before: 0, ordinal: 1, remaining: 1, completes: false } },
    });
    const desk = deskWith(firstOfTwo);
    desk.outcome = outcome({
      result: 'counted',
      message: 'Your approval of bbb2222 for production is counted: 1 of 2 approvals (@alice).',
      running: 'aaa1111',
    });
    await renderAppLive(tbyteSnapshot(1), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    let panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');

    expect(textOf(within(panel).getByTestId('quorum'))).toBe('0 of 2 approvals');
    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve (1 of 2)' }));
    expect(textOf(within(panel).getByTestId('confirm-approve'))).toContain(
      'Add your approval of bbb2222 for production? It is approval 1 of 2: nothing ships until 1 more reviewer approve.',
    );
    expect(within(panel).getByTestId('confirm-approve-button')).toHaveTextContent('Yes, add my approval');
    await confirmWhenArmed(panel);
    const result = await within(panel).findByTestId('outcome');
    expect(result).toHaveAttribute('data-result', 'counted');
    expect(textOf(result)).toBe('✓ approval counted: Your approval of bbb2222 for production is counted: 1 of 2 approvals (@alice).');
    // Nothing rolls out on a counted approval.
    expect(within(panel).queryByTestId('rollout-follow')).not.toBeInTheDocument();

    // The second approval: the quorum's approvers and who does not count, and Approve ships it.
    desk.reviews.set('production', review);
    await fireEvent.click(screen.getByTestId('nav-pipeline'));
    await fireEvent.click(await screen.findByTestId('gate-review'));
    panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');
    expect(textOf(within(panel).getByTestId('quorum-approval'))).toBe('@carol 2026-05-04 12:00 UTC — “fine by me”');
    expect(textOf(within(panel).getByTestId('quorum-not-counted'))).toBe(
      'Not counted: @bob authored or triggered this release: their approval does not count',
    );
    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve (2 of 2)' }));
    expect(textOf(within(panel).getByTestId('confirm-approve'))).toContain('This is the last approval of 2.');
    expect(within(panel).getByTestId('confirm-approve-button')).toHaveTextContent('Yes, approve and promote');
  });

  it('does not confirm on a double Enter, and Escape returns to Approve', async () => {
    const { panel, desk } = await openReview(approvableReview());
    const approve = within(panel).getByTestId('approve');

    approve.focus();
    await pressEnter();
    await pause(80);
    await pressEnter();
    await pause(CONFIRM_ARMING_MS);
    expect(desk.callsTo('act')).toEqual([]);

    // Open again; Escape from the box closes it and puts focus back on Approve, on this screen.
    within(panel).getByTestId('approve').focus();
    await pressEnter();
    await vi.waitFor(() => expect(within(panel).getByTestId('confirm-approve-cancel')).toHaveFocus());
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(within(panel).queryByTestId('confirm-approve')).not.toBeInTheDocument();
    await vi.waitFor(() => expect(within(panel).getByTestId('approve')).toHaveFocus());
    expect(screen.getByTestId('review')).toBeInTheDocument();
    expect(desk.callsTo('act')).toEqual([]);
  });

  it('keeps the review shown while the person confirms, and catches up after Cancel', async () => {
    const desk = deskWith(approvableReview());
    const { live } = await renderAppLive(tbyteSnapshot(1), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');
    await fireEvent.click(within(panel).getByTestId('approve'));

    const moved = waitingRun({ runId: 91, sha: fullSha('ccc3333'), label: 'ccc3333' });
    desk.reviews.set(
      'production',
      approvableReview({
        candidate: { sha: moved.sha, label: 'ccc3333', runId: 91, shipsSourceVersion: true },
        waitingRuns: [moved],
        pin: { runId: 91, sha: moved.sha, images: [], chart: null },
      }),
    );
    await pushSnapshot(live, tbyteSnapshot(2));
    await pause(500);
    expect(desk.callsTo('review')).toHaveLength(1);
    expect(textOf(within(panel).getByTestId('confirm-approve'))).toContain('Approve promoting bbb2222');

    await fireEvent.click(within(panel).getByTestId('confirm-approve-cancel'));
    await vi.waitFor(() =>
      expect(textOf(within(panel).getByTestId('review-versions'))).toBe('production aaa1111 → ccc3333 · from staging'),
    );
  });

  it('shows the rollout live while the approval runs', async () => {
    const desk = deskWith(approvableReview());
    let resolveAct: (value: Outcome) => void = () => {};
    const { live } = await renderAppLive(tbyteSnapshot(1), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');
    // act answers with the desk's outcome: make it a promise the test settles.
    const pending = new Promise<Outcome>((resolve) => (resolveAct = resolve));
    Object.defineProperty(desk, 'outcome', { get: () => pending as never, configurable: true });

    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    await confirmWhenArmed(panel);
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
    await pause(500);
    expect(desk.callsTo('review')).toHaveLength(reviewsAsked);

    resolveAct(outcome());
    expect(await within(panel).findByTestId('outcome')).toHaveAttribute('data-result', 'succeeded');
  });

  it('offers a rollback exactly when the outcome does, with its reason, after a deliberate confirmation', async () => {
    const desk = deskWith(approvableReview());
    desk.outcome = outcome({
      result: 'failed',
      message: 'production: rollout of bbb2222 stalled',
      running: 'aaa1111',
      rollback: { environment: 'production', reason: 'tbyte-prod-api: 1 of 3 replicas ready after 10 min (CrashLoopBackOff)' },
    });
    await renderAppLive(tbyteSnapshot(), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');
    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    await confirmWhenArmed(panel);

    expect(textOf(await within(panel).findByTestId('outcome'))).toBe('✗ failed: production: rollout of bbb2222 stalled');
    expect(textOf(within(panel).getByTestId('rollback-reason'))).toBe(
      'tbyte-prod-api: 1 of 3 replicas ready after 10 min (CrashLoopBackOff)',
    );

    // Escape from the confirmation goes back to the Roll back button.
    await fireEvent.click(within(panel).getByRole('button', { name: 'Roll back production' }));
    await vi.waitFor(() => expect(within(panel).getByTestId('confirm-rollback-cancel')).toHaveFocus());
    expect(within(panel).getByTestId('confirm-rollback-button')).toBeDisabled();
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    await vi.waitFor(() => expect(within(panel).getByTestId('rollback-button')).toHaveFocus());

    desk.outcome = outcome({ message: 'production rolled back to revision 4', running: 'aaa1111' });
    await fireEvent.click(within(panel).getByRole('button', { name: 'Roll back production' }));
    expect(desk.callsTo('rollback')).toEqual([]);
    await confirmWhenArmed(panel, 'confirm-rollback-button');
    expect(desk.callsTo('rollback')).toEqual([['production', null]]);
    expect(textOf(await within(panel).findByTestId('rollback-outcome'))).toBe(
      'Rollback succeeded: production rolled back to revision 4',
    );
  });

  it('shows a failed approval\'s message and hint, offering no rollback the console did not offer', async () => {
    const desk = deskWith(approvableReview());
    await renderAppLive(tbyteSnapshot(), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');

    desk.failure = {
      code: 'promotion.rollout-failed',
      message: 'production: rollout of bbb2222 exceeded its progress deadline',
      hint: "The cluster has the last word; see the environment's workloads for what happened.",
    };
    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    await confirmWhenArmed(panel);

    const result = await within(panel).findByTestId('outcome');
    expect(result).toHaveAttribute('data-code', 'promotion.rollout-failed');
    expect(result).toHaveTextContent('production: rollout of bbb2222 exceeded its progress deadline');
    expect(result).toHaveTextContent("The cluster has the last word; see the environment's workloads");
    expect(within(panel).queryByTestId('rollback')).not.toBeInTheDocument();
  });

  it('shows a refusal as such, without offering a rollback', async () => {
    const review = approvableReview();
    const desk = deskWith(review);
    await renderAppLive(tbyteSnapshot(), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');

    desk.failure = { code: 'promotion.refused', message: 'GitHub refused: 422 Unprocessable', hint: 'GitHub has the last word.' };
    await fireEvent.click(within(panel).getByRole('button', { name: 'Reject' }));
    const result = await within(panel).findByTestId('outcome');
    expect(desk.callsTo('act')).toEqual([
      [{ environment: 'production', action: 'reject', comment: '', overrideReason: null, pin: review.pin }],
    ]);
    expect(result).toHaveTextContent('GitHub refused: 422 Unprocessable');
    expect(result).toHaveTextContent('GitHub has the last word.');
    expect(within(panel).queryByTestId('rollback')).not.toBeInTheDocument();
  });

  it('shows "the release changed" like any error, then the review of the new release', async () => {
    const desk = deskWith(approvableReview());
    await renderAppLive(tbyteSnapshot(), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');

    const moved = waitingRun({ runId: 91, sha: fullSha('ccc3333'), label: 'ccc3333' });
    desk.reviews.set(
      'production',
      approvableReview({
        sourceVersion: 'ccc3333',
        candidate: { sha: moved.sha, label: 'ccc3333', runId: 91, shipsSourceVersion: true },
        waitingRuns: [moved],
        pin: { runId: 91, sha: moved.sha, images: [], chart: null },
      }),
    );
    desk.failure = {
      code: 'promotion.release-changed',
      message: 'The release changed while you were reviewing: staging now runs ccc3333.',
      hint: 'Read the new review, then decide again.',
    };
    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    await confirmWhenArmed(panel);

    const result = await within(panel).findByTestId('outcome');
    expect(result).toHaveAttribute('data-code', 'promotion.release-changed');
    expect(result).toHaveTextContent('The release changed while you were reviewing');
    expect(result).toHaveTextContent('Read the new review, then decide again.');
    await vi.waitFor(() =>
      expect(textOf(within(panel).getByTestId('review-versions'))).toBe('production aaa1111 → ccc3333 · from staging'),
    );
  });

  it('offers an override with a mandatory reason when only the soak blocks', async () => {
    const review = overridableReview();
    const { panel, desk } = await openReview(review);

    const approve = within(panel).getByRole('button', { name: 'Approve' });
    expect(approve).toBeDisabled();
    expect(within(panel).getByLabelText(/Override with reason/)).toHaveAccessibleName(
      'Override with reason (required to approve despite soak)',
    );
    await fireEvent.input(within(panel).getByLabelText(/Override with reason/), {
      target: { value: 'Hotfix for incident 4711' },
    });
    expect(approve).toBeEnabled();
    await fireEvent.click(approve);
    expect(textOf(within(panel).getByTestId('confirm-approve'))).toContain('This overrides soak.');
    await confirmWhenArmed(panel);
    expect(desk.callsTo('act')).toEqual([
      [
        {
          environment: 'production',
          action: 'approve',
          comment: '',
          overrideReason: 'Hotfix for incident 4711',
          pin: review.pin,
        },
      ],
    ]);
  });

  it('offers no override when the console says one would not let the person approve', async () => {
    const { panel } = await openReview(reviewFixture());
    expect(within(panel).queryByLabelText(/Override with reason/)).not.toBeInTheDocument();
  });

  it('puts the warnings to read above the decision', async () => {
    const warnings = [
      'Run #10062 deploys daaf471, not 353e6df that staging runs: approving it ships daaf471 to production.',
    ];
    const { panel } = await openReview(approvableReview({ warnings }));

    const box = within(panel).getByTestId('review-warnings');
    expect(box).toHaveAttribute('role', 'alert');
    expect(within(box).getAllByTestId('review-warning').map(textOf)).toEqual(warnings);
    const decide = within(panel).getByTestId('decide');
    expect(box.compareDocumentPosition(decide) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('lists every waiting run and reviews the one chosen, also on refresh', async () => {
    const newest = waitingRun({ runId: 10090, sha: fullSha('353e6df'), label: '353e6df', actor: 'dave' });
    const older = waitingRun({
      runId: 10062,
      sha: fullSha('daaf471'),
      label: 'daaf471',
      actor: 'erin',
      shipsSourceVersion: false,
    });
    const runs = [newest, older];
    const desk = deskWith(
      approvableReview({
        candidate: { sha: newest.sha, label: '353e6df', runId: 10090, shipsSourceVersion: true },
        waitingRuns: runs,
        pin: { runId: 10090, sha: newest.sha, images: [], chart: null },
      }),
    );
    desk.runReviews.set(
      10062,
      approvableReview({
        candidate: { sha: older.sha, label: 'daaf471', runId: 10062, shipsSourceVersion: false },
        waitingRuns: runs,
        warnings: ['Run #10062 deploys daaf471, not 353e6df that staging runs: approving it ships daaf471 to production.'],
        pin: { runId: 10062, sha: older.sha, images: [], chart: null },
      }),
    );
    const { live } = await renderAppLive(tbyteSnapshot(1), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');

    const listed = within(within(panel).getByTestId('waiting-runs')).getAllByTestId('waiting-run');
    expect(listed.map((run) => [run.dataset.runId, run.dataset.current, textOf(run)])).toEqual([
      ['10090', 'true', 'run #10090 353e6df by @dave what staging runs under review'],
      ['10062', 'false', 'run #10062 daaf471 by @erin not what staging runs Review run #10062'],
    ]);

    await fireEvent.click(within(panel).getByRole('button', { name: 'Review run #10062' }));
    await within(panel).findByTestId('decide');
    expect(desk.callsTo('review').at(-1)).toEqual(['production', 10062]);
    expect(textOf(within(panel).getByTestId('review-versions'))).toBe('production aaa1111 → daaf471 · from staging');
    expect(within(panel).getByTestId('review-warnings')).toHaveTextContent('approving it ships daaf471');

    // The live state moves: the same run is asked for again.
    await pushSnapshot(live, tbyteSnapshot(2));
    await vi.waitFor(() => expect(desk.callsTo('review')).toHaveLength(3));
    expect(desk.callsTo('review').at(-1)).toEqual(['production', 10062]);

    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    await confirmWhenArmed(panel);
    expect(desk.callsTo('act')).toEqual([
      [
        {
          environment: 'production',
          action: 'approve',
          comment: '',
          overrideReason: null,
          pin: { runId: 10062, sha: older.sha, images: [], chart: null },
        },
      ],
    ]);
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
    expect(within(panel).getByLabelText('Comment')).toBeEnabled();
  });
});

describe('helm promotion review', () => {
  const imageChange = {
    workload: 'tbyte-prod-api',
    container: 'api',
    sourceWorkload: 'tbyte-staging-api',
    from: 'ghcr.io/tbyte/api:aaa1111',
    to: 'ghcr.io/tbyte/api:bbb2222',
  };

  function helmReview(rest: Partial<Review> = {}): Review {
    return approvableReview({
      method: 'helm',
      candidate: { sha: fullSha('bbb2222'), label: 'bbb2222', runId: null, shipsSourceVersion: true },
      waitingRuns: [],
      imageChanges: [imageChange],
      helm: helmPreview({ images: [imageChange] }),
      pin: { runId: null, sha: fullSha('bbb2222'), images: [imageChange], chart: 'tbyte-microservices-0.3.0' },
      ...rest,
    });
  }

  it('shows what helm upgrade would change: the chart, the exact command and each object with its diff', async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const review = helmReview();
    const { panel } = await openReview(review);

    expect(textOf(within(panel).getByTestId('review-summary'))).toBe('3 commits / 1 PR · Helm upgrade');
    const helm = within(panel).getByTestId('helm-preview');
    expect(within(helm).getByRole('heading', { level: 2 })).toHaveTextContent('What helm upgrade would change');
    expect(textOf(within(helm).getByTestId('helm-chart'))).toBe('Chart tbyte-microservices-0.3.0');
    const command = within(helm).getByTestId('helm-command');
    expect(command.textContent).toBe(review.helm!.command);
    expect(command.tagName).toBe('PRE');
    await fireEvent.click(within(helm).getByRole('button', { name: 'Copy command' }));
    expect(writeText).toHaveBeenCalledWith(review.helm!.command);
    expect(await within(helm).findByText('Copied')).toBeInTheDocument();
    Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });

    const changes = within(helm).getAllByTestId('manifest-change');
    expect(changes.map((c) => [c.dataset.kind, c.dataset.name, c.dataset.change])).toEqual([
      ['Deployment', 'tbyte-prod-api', 'changed'],
      ['ConfigMap', 'tbyte-prod-flags', 'added'],
    ]);
    expect(changes.map(textOf)).toEqual(['▸ Deployment tbyte-prod-api changed', '▸ ConfigMap tbyte-prod-flags added']);
    expect(within(changes[1]!).getByTestId('manifest-change-badge')).toHaveClass('change-added');
    // Collapsed until the person opens one.
    expect(within(helm).queryByTestId('manifest-diff')).not.toBeInTheDocument();

    const toggle = within(changes[0]!).getByRole('button', { name: /Deployment tbyte-prod-api/ });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await fireEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    const diff = within(changes[0]!).getByTestId('manifest-diff');
    expect(toggle).toHaveAttribute('aria-controls', diff.id);
    const lines = within(diff).getAllByTestId('diff-line');
    expect(lines.map((line) => [line.className.match(/line-(\w+)/)?.[1], line.textContent])).toEqual([
      ['header', '--- now'],
      ['header', '+++ after'],
      ['hunk', '@@ -18,7 +18,7 @@'],
      ['context', '     spec:'],
      ['context', '       containers:'],
      ['context', '         - name: api'],
      ['removed', '-          image: ghcr.io/tbyte/api:aaa1111'],
      ['added', '+          image: ghcr.io/tbyte/api:bbb2222'],
      ['context', '           ports:'],
      ['context', '             - containerPort: 8080'],
    ]);
    // Only the object opened shows its diff; a second click closes it.
    expect(within(changes[1]!).queryByTestId('manifest-diff')).not.toBeInTheDocument();
    await fireEvent.click(toggle);
    expect(within(changes[0]!).queryByTestId('manifest-diff')).not.toBeInTheDocument();

    // The images helm's render changes are the review's image changes, listed once.
    expect(within(panel).getAllByTestId('image-change')).toHaveLength(1);
    expect(within(helm).queryByText('ghcr.io/tbyte/api:bbb2222')).not.toBeInTheDocument();
  });

  it('keeps an opened diff open when the review is refreshed', async () => {
    const desk = deskWith(helmReview());
    const { live } = await renderAppLive(tbyteSnapshot(1), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');
    await fireEvent.click(within(panel).getByRole('button', { name: /ConfigMap tbyte-prod-flags/ }));

    await pushSnapshot(live, tbyteSnapshot(2));
    await vi.waitFor(() => expect(desk.callsTo('review')).toHaveLength(2));
    const added = within(panel).getAllByTestId('manifest-change')[1]!;
    const lines = within(within(added).getByTestId('manifest-diff')).getAllByTestId('diff-line');
    expect(lines.filter((line) => line.classList.contains('line-added')).map((line) => line.textContent)).toEqual([
      '+apiVersion: v1',
      '+kind: ConfigMap',
      '+metadata:',
      '+  name: tbyte-prod-flags',
    ]);
  });

  it('shows why the difference is not known instead of the changes, with Approve refused for it', async () => {
    const problem =
      'helm template failed for production: chart tbyte-microservices-0.3.0 not found in the release record. ' +
      'Approve is refused until the difference is known.';
    const sentence = 'What helm upgrade would change in production is not known, so it cannot be approved.';
    const review = helmReview({
      helm: helmPreview({ changes: [], problem }),
      decision: {
        ...approvableReview().decision,
        approve: { allowed: false, refusals: [refusal('upgrade-unknown', sentence)] },
      },
    });
    const { panel } = await openReview(review);

    const helm = within(panel).getByTestId('helm-preview');
    expect(textOf(within(helm).getByTestId('helm-problem'))).toBe(problem);
    expect(within(helm).queryByTestId('manifest-change')).not.toBeInTheDocument();
    expect(within(helm).queryByTestId('helm-no-changes')).not.toBeInTheDocument();
    // The command is still shown: it is what Sluice would run.
    expect(within(helm).getByTestId('helm-command').textContent).toBe(review.helm!.command);
    expect(within(panel).getByRole('button', { name: 'Approve' })).toBeDisabled();
    expect(within(panel).getByTestId('refusals').querySelector('[data-kind="upgrade-unknown"]')).toHaveTextContent(
      sentence,
    );
  });

  it('says so when helm upgrade would change nothing', async () => {
    const { panel } = await openReview(helmReview({ helm: helmPreview({ chart: null, changes: [] }) }));

    const helm = within(panel).getByTestId('helm-preview');
    expect(textOf(within(helm).getByTestId('helm-no-changes'))).toBe('helm upgrade would change no object in production.');
    expect(within(helm).queryByTestId('helm-chart')).not.toBeInTheDocument();
    expect(within(helm).queryByTestId('manifest-change')).not.toBeInTheDocument();
  });

  it('shows no helm section for the other methods', async () => {
    const { panel } = await openReview(approvableReview());
    expect(within(panel).queryByTestId('helm-preview')).not.toBeInTheDocument();
  });

  it("streams helm's lines for this environment while promoting and rolling back, and keeps them after", async () => {
    const desk = deskWith(helmReview());
    let settle: (value: Outcome) => void = () => {};
    const pending = () => new Promise<Outcome>((resolve) => (settle = resolve));
    let answer = pending();
    Object.defineProperty(desk, 'outcome', { get: () => answer as never, configurable: true });
    await renderAppLive(tbyteSnapshot(1), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');
    expect(desk.progressListeners.size).toBe(1);
    const printed = (environment: string, line: string) => act(() => desk.progress(environment, line));
    const shownLines = () => within(panel).queryAllByTestId('progress-line').map(textOf);

    // Lines printed before an action started here are not this screen's.
    await printed('production', 'Release "tbyte-prod" does not exist. Installing it now.');
    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    await confirmWhenArmed(panel);
    await within(panel).findByTestId('acting');
    expect(within(panel).queryByTestId('progress-log')).not.toBeInTheDocument();

    await printed('production', 'client.go:477: [debug] Starting delete for "tbyte-prod-flags" ConfigMap');
    await printed('staging', 'Release "tbyte-staging" has been upgraded. Happy Helming!');
    await printed('production', 'wait.go:48: [debug] beginning wait for 4 resources with timeout of 10m0s');

    const log = within(panel).getByTestId('progress-log');
    expect(log).toHaveAttribute('data-running', 'true');
    expect(shownLines()).toEqual([
      'client.go:477: [debug] Starting delete for "tbyte-prod-flags" ConfigMap',
      'wait.go:48: [debug] beginning wait for 4 resources with timeout of 10m0s',
    ]);
    expect(textOf(within(log).getByTestId('progress-count'))).toBe('2 lines');
    // The lines scroll in their own box; only the summary is announced, not every line.
    const lines = within(log).getByTestId('progress-lines');
    expect(lines).not.toHaveAttribute('aria-live');
    const summary = within(panel).getByTestId('progress-summary');
    expect(summary).toHaveAttribute('aria-live', 'polite');
    expect(textOf(summary)).toBe('Showing what the promotion prints as it runs.');

    await printed('production', 'Error: UPGRADE FAILED: context deadline exceeded');
    settle(
      outcome({
        result: 'failed',
        message: 'helm upgrade failed: context deadline exceeded',
        running: 'aaa1111',
        rollback: { environment: 'production', reason: 'helm upgrade timed out after 10m' },
      }),
    );
    expect(await within(panel).findByTestId('outcome')).toHaveAttribute('data-result', 'failed');
    // helm's last lines stay to read after it ended.
    expect(within(panel).getByTestId('progress-log')).toHaveAttribute('data-running', 'false');
    expect(shownLines().at(-1)).toBe('Error: UPGRADE FAILED: context deadline exceeded');
    expect(textOf(summary)).toBe('The promotion ended: what it printed last stays below.');

    // A rollback is a new action: the log starts again with its lines.
    answer = pending();
    await fireEvent.click(within(panel).getByRole('button', { name: 'Roll back production' }));
    await confirmWhenArmed(panel, 'confirm-rollback-button');
    expect(within(panel).queryByTestId('progress-log')).not.toBeInTheDocument();
    await printed('production', 'Rollback was a success! Happy Helming!');
    expect(shownLines()).toEqual(['Rollback was a success! Happy Helming!']);
    expect(within(panel).getByTestId('progress-log')).toHaveTextContent('What the rollback printed');
    settle(outcome({ message: 'production rolled back to revision 6', running: 'aaa1111' }));
    expect(await within(panel).findByTestId('rollback-outcome')).toHaveAttribute('data-result', 'succeeded');
    expect(shownLines()).toEqual(['Rollback was a success! Happy Helming!']);

    // Leaving the screen stops listening.
    await fireEvent.click(within(panel).getByTestId('back'));
    await vi.waitFor(() => expect(screen.queryByTestId('review')).not.toBeInTheDocument());
    expect(desk.progressListeners.size).toBe(0);
    expect(desk.progressUnsubscribeCalls).toBe(1);
  });
});
