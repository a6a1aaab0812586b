import { act, fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { Outcome } from '../bindings';
import {
  FakeDesk,
  account,
  approvableReview,
  rolledBackVerification,
  sessionInfo,
  tbyteSnapshot,
  verification,
} from '../../test/fixtures';
import { envCard, renderAppLive, textOf } from '../../test/app';
import { CONFIRM_ARMING_MS } from './PromotionReview.svelte';
import VerificationPhase from './VerificationPhase.svelte';

function checksOf(element: HTMLElement): string[] {
  return within(element).getAllByTestId('verification-check').map(textOf);
}

describe('the verifying phase', () => {
  it('shows the timer, a bar of the time held and every check met while it runs', () => {
    render(VerificationPhase, { props: { verification: verification() } });
    const phase = screen.getByTestId('verification');
    expect(phase).toHaveAttribute('data-phase', 'verifying');
    expect(within(phase).getByRole('heading')).toHaveTextContent('Verifying b7e4c1d');
    expect(textOf(within(phase).getByTestId('verification-timer'))).toBe('held 40 s of 60 s');
    const bar = within(phase).getByRole('progressbar', { name: 'Verification of b7e4c1d in production' });
    expect(bar).toHaveAttribute('aria-valuenow', '40');
    expect(bar).toHaveAttribute('aria-valuemax', '60');
    expect(checksOf(phase)).toEqual(['✓ restarts met', '✓ readiness met', '✓ crash-looping met', '✓ warnings met']);
    expect(phase).toHaveTextContent('If a check fails, Sluice rolls back automatically');
    expect(within(phase).queryByTestId('verification-reason')).not.toBeInTheDocument();
  });

  it('says what broke, which checks failed and that it rolled back', () => {
    render(VerificationPhase, { props: { verification: rolledBackVerification() } });
    const phase = screen.getByTestId('verification');
    expect(phase).toHaveAttribute('data-phase', 'rolled-back');
    expect(within(phase).getByRole('heading')).toHaveTextContent('Verification failed — rolled back');
    expect(textOf(within(phase).getByTestId('verification-timer'))).toBe('held 23 s of 60 s');
    expect(textOf(within(phase).getByTestId('verification-reason'))).toBe(
      'Verification of b7e4c1d in production failed: tbyte-prod-api restarted 1 time(s); tbyte-prod-api-6d9f-x2 is crash-looping — rolled back to a1f9e20',
    );
    expect(checksOf(phase)).toEqual([
      '✗ restarts failed tbyte-prod-api restarted 1 time(s)',
      '✓ readiness met',
      '✗ crash-looping failed tbyte-prod-api-6d9f-x2 is crash-looping',
      '✓ warnings met',
    ]);
  });

  it('waits for every replica before the checks start', () => {
    render(VerificationPhase, {
      props: { verification: verification({ heldSeconds: 0, checks: [], state: { phase: 'settling' } }) },
    });
    const phase = screen.getByTestId('verification');
    expect(within(phase).getByRole('heading')).toHaveTextContent('Verifying b7e4c1d: waiting for every replica to be ready');
    expect(within(phase).queryAllByTestId('verification-check')).toEqual([]);
  });
});

describe('a verification in the window', () => {
  async function approveWithPendingAct() {
    const desk = new FakeDesk();
    desk.session = sessionInfo({ account: account('alice') });
    desk.reviews.set('production', approvableReview());
    let resolveAct: (value: Outcome) => void = () => {};
    const pending = new Promise<Outcome>((resolve) => (resolveAct = resolve));
    Object.defineProperty(desk, 'outcome', { get: () => pending as never, configurable: true });
    const rendered = await renderAppLive(tbyteSnapshot(), desk);
    await fireEvent.click(screen.getByTestId('gate-review'));
    const panel = await screen.findByTestId('review');
    await within(panel).findByTestId('decide');
    await fireEvent.click(within(panel).getByRole('button', { name: 'Approve' }));
    const confirm = within(panel).getByTestId('confirm-approve-button');
    await vi.waitFor(() => expect(confirm).toBeEnabled(), { timeout: CONFIRM_ARMING_MS + 1000 });
    await fireEvent.click(confirm);
    await within(panel).findByTestId('acting');
    return { ...rendered, panel, resolveAct: (o: Outcome) => act(() => resolveAct(o)) };
  }

  it('follows the phase on the review screen, then says loudly once that it rolled back', async () => {
    const { live, desk, panel, resolveAct } = await approveWithPendingAct();
    await act(() => live.pushVerifications([verification()]));
    const phase = within(panel).getByTestId('verification');
    expect(textOf(within(phase).getByTestId('verification-timer'))).toBe('held 40 s of 60 s');
    expect(textOf(within(panel).getByTestId('acting'))).toBe("Waiting for production's verification to finish…");
    expect(screen.queryByTestId('verification-banner')).not.toBeInTheDocument();
    expect(desk.callsTo('notify')).toEqual([]);

    const failed = rolledBackVerification();
    await act(() => live.pushVerifications([failed]));
    // Pushed again (the console republishes on any change): announced once all the same.
    await act(() => live.pushVerifications([{ ...failed }]));
    expect(within(panel).getByTestId('verification')).toHaveAttribute('data-phase', 'rolled-back');
    const banner = screen.getByTestId('verification-banner');
    expect(banner).toHaveAttribute('role', 'alert');
    expect(textOf(banner)).toContain(
      'production rolled back: verification failed. Verification of b7e4c1d in production failed: tbyte-prod-api restarted 1 time(s); tbyte-prod-api-6d9f-x2 is crash-looping — rolled back to a1f9e20',
    );
    expect(desk.callsTo('notify')).toEqual([[failed.notification!.title, failed.notification!.body]]);

    await resolveAct({
      result: 'failed',
      message: 'production did not hold b7e4c1d for 60 s: … rolled back automatically',
      running: 'a1f9e20',
      rollback: null,
    });
    expect(await within(panel).findByTestId('outcome')).toHaveAttribute('data-result', 'failed');
    expect(within(panel).queryByTestId('rollback')).not.toBeInTheDocument();

    await fireEvent.click(within(banner).getByRole('button', { name: 'Dismiss the verification notice of production' }));
    expect(screen.queryByTestId('verification-banner')).not.toBeInTheDocument();
  });

  it('offers Rollback with the failure as its reason when the pipeline asks to be offered', async () => {
    const { live, panel, resolveAct } = await approveWithPendingAct();
    const reason = 'tbyte-prod-api restarted 2 time(s)';
    await act(() =>
      live.pushVerifications([
        verification({
          onFailure: 'offer',
          state: { phase: 'failed', reason },
          summary: `Verification of b7e4c1d in production failed: ${reason} — Rollback is offered`,
          notification: { title: 'Verification failed in production', body: `b7e4c1d did not hold: ${reason}.` },
        }),
      ]),
    );
    await resolveAct({
      result: 'failed',
      message: `production did not hold b7e4c1d for 60 s: ${reason}`,
      running: 'b7e4c1d',
      rollback: { environment: 'production', reason: `verification failed: ${reason}` },
    });
    expect(textOf(await within(panel).findByTestId('rollback-reason'))).toBe(`verification failed: ${reason}`);
    expect(within(panel).getByRole('button', { name: 'Roll back production' })).toBeEnabled();
    expect(screen.getByTestId('verification-banner')).toHaveAttribute('data-phase', 'failed');
  });

  it('shows "verifying 40/60 s" on the card while it runs and the result after', async () => {
    const { live } = await renderAppLive(tbyteSnapshot());
    expect(within(envCard('production')).queryByTestId('card-verification')).not.toBeInTheDocument();
    await act(() => live.pushVerifications([verification()]));
    const badge = within(envCard('production')).getByTestId('card-verification');
    expect(textOf(badge)).toBe('◐ verifying 40/60 s');
    expect(badge).toHaveAttribute('title', 'Verifying b7e4c1d in production: held 40 s of 60 s');
    expect(within(envCard('staging')).queryByTestId('card-verification')).not.toBeInTheDocument();

    await act(() => live.pushVerifications([rolledBackVerification()]));
    expect(textOf(within(envCard('production')).getByTestId('card-verification'))).toBe(
      '✗ verification failed: rolled back to a1f9e20',
    );
    await act(() =>
      live.pushVerifications([verification({ heldSeconds: 60, state: { phase: 'held' }, summary: 'Verified' })]),
    );
    expect(textOf(within(envCard('production')).getByTestId('card-verification'))).toBe('✓ verified: held 60 s');
  });

  it('is shown large in presentation mode', async () => {
    const { live } = await renderAppLive(tbyteSnapshot());
    await fireEvent.click(screen.getByTestId('nav-present'));
    const present = await screen.findByTestId('presentation');
    await act(() => live.pushVerifications([verification({ heldSeconds: 12 })]));
    const focus = within(present).getByTestId('presentation-focus');
    expect(focus).toHaveAttribute('data-environment', 'production');
    const phase = within(focus).getByTestId('verification');
    expect(phase).toHaveClass('large');
    expect(textOf(within(phase).getByTestId('verification-timer'))).toBe('held 12 s of 60 s');
  });
});
