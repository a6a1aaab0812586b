import { act, fireEvent, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { AuditEntry } from './lib/bindings';
import {
  FakeDesk,
  account,
  approvableReview,
  inboxItem,
  reviewFixture,
  sessionInfo,
  tbytePipeline,
  tbyteSnapshot,
  withEnvironment,
} from './test/fixtures';
import { envCard, pushSnapshot, renderApp, renderAppLive, textOf } from './test/app';

function interruptedEntry(): AuditEntry {
  return {
    id: 'att-1',
    at: '2026-05-04T10:15:00Z',
    correlation: 'att-1',
    actor: 'bob',
    environment: 'production',
    fromVersion: 'aaa1111',
    toVersion: 'bbb2222',
    method: 'github-approval',
    action: 'approve',
    plan: null,
    gates: [],
    comment: null,
    overrideReason: null,
    result: 'started',
    error: null,
    runId: 77,
    sha: null,
    shipped: null,
    revision: null,
  };
}

function signedIn(login = 'alice-approver'): FakeDesk {
  const desk = new FakeDesk();
  desk.session = sessionInfo({ account: account(login) });
  return desk;
}

describe('app shell', () => {
  it('navigates between screens from the top bar, and Escape returns', async () => {
    await renderAppLive(tbyteSnapshot());
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const pipeline = within(nav).getByRole('button', { name: 'Pipeline' });
    expect(pipeline).toHaveAttribute('aria-current', 'page');

    await fireEvent.click(within(nav).getByRole('button', { name: /^Inbox/ }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Inbox' })).toHaveFocus();
    expect(within(nav).getByRole('button', { name: /^Inbox/ })).toHaveAttribute('aria-current', 'page');
    expect(screen.queryByTestId('environment-card')).not.toBeInTheDocument();

    await fireEvent.click(within(nav).getByRole('button', { name: 'Audit' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Audit journal' })).toBeInTheDocument();

    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(await screen.findByRole('heading', { level: 1, name: 'Inbox' })).toBeInTheDocument();
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(await screen.findAllByTestId('environment-card')).toHaveLength(3);
    expect(pipeline).toHaveAttribute('aria-current', 'page');
  });

  it('keeps one live subscription for every screen', async () => {
    const { live } = await renderAppLive(tbyteSnapshot());
    await fireEvent.click(screen.getByTestId('nav-inbox'));
    await fireEvent.click(screen.getByTestId('nav-pipeline'));
    await fireEvent.click(within(envCard('staging')).getByTestId('environment-open'));
    await fireEvent.click(screen.getByTestId('back'));
    await screen.findAllByTestId('environment-card');
    expect(live.subscribeCalls).toBe(1);
    expect(live.unsubscribeCalls).toBe(0);
  });

  it('says who is signed in, or offers to sign in', async () => {
    await renderAppLive(tbyteSnapshot(), signedIn());
    expect(textOf(screen.getByTestId('account'))).toBe('signed in as @alice-approver');
  });

  it('offers sign-in when nobody is signed in, leading to the settings', async () => {
    await renderAppLive(tbyteSnapshot());
    const button = screen.getByTestId('account');
    expect(button).toHaveAccessibleName('Sign in');
    await fireEvent.click(button);
    expect(screen.getByTestId('nav-settings')).toHaveAttribute('aria-current', 'page');
    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toHaveFocus();
  });

  it('shares the session the settings change with the top bar', async () => {
    const { desk } = await renderAppLive(tbyteSnapshot());
    await fireEvent.click(screen.getByTestId('nav-settings'));
    const input = await screen.findByTestId('settings-token-input');
    await fireEvent.input(input, { target: { value: 'ghp_test' } });
    await fireEvent.submit(screen.getByTestId('settings-token-form'));
    await vi.waitFor(() => expect(desk.callsTo('signInWithToken')).toHaveLength(1));
    await vi.waitFor(() => expect(textOf(screen.getByTestId('account'))).toBe('signed in as @alice-approver'));
  });

  it('shows the demo badge with the world\'s speed, and changes it', async () => {
    const desk = new FakeDesk();
    desk.session = sessionInfo({ demo: true, demoSpeed: 1 });
    await renderAppLive(tbyteSnapshot(), desk);

    const badge = screen.getByTestId('demo-badge');
    expect(badge).toHaveTextContent('Demo');
    const speeds = within(badge).getByRole('group', { name: 'Demo speed' });
    expect(within(speeds).getByRole('button', { name: '1× speed' })).toHaveAttribute('aria-pressed', 'true');
    await fireEvent.click(within(speeds).getByRole('button', { name: '60× speed' }));
    await vi.waitFor(() => expect(desk.callsTo('setDemoSpeed')).toEqual([[60]]));
    await vi.waitFor(() =>
      expect(within(speeds).getByRole('button', { name: '60× speed' })).toHaveAttribute('aria-pressed', 'true'),
    );
  });

  it('has no demo badge on real clusters', async () => {
    await renderAppLive(tbyteSnapshot());
    expect(screen.queryByTestId('demo-badge')).not.toBeInTheDocument();
  });

  it('warns of an interrupted promotion, links to the audit and can be dismissed', async () => {
    const desk = new FakeDesk();
    desk.session = sessionInfo({ interrupted: [interruptedEntry()] });
    await renderAppLive(tbyteSnapshot(), desk);

    const banner = await screen.findByTestId('interrupted-banner');
    expect(textOf(banner)).toContain(
      'Interrupted promotion: approve into production (aaa1111 → bbb2222) started by @bob at 2026-05-04 10:15 UTC — no outcome recorded',
    );
    await fireEvent.click(within(banner).getByRole('button', { name: 'Open audit' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Audit journal' })).toBeInTheDocument();

    await fireEvent.click(within(screen.getByTestId('interrupted-banner')).getByRole('button', { name: /Dismiss/ }));
    expect(screen.queryByTestId('interrupted-banner')).not.toBeInTheDocument();
  });

  it('opens the pull request behind a version in the browser, through the backend', async () => {
    const snapshot = withEnvironment(tbyteSnapshot(), 'staging', (state) => ({
      ...state,
      version: {
        ...state.version!,
        pullRequest: { number: 42, title: 'Add retries', url: 'https://github.com/acme/app/pull/42' },
      },
    }));
    const { desk } = await renderAppLive(snapshot);
    await fireEvent.click(within(envCard('staging')).getByTestId('version-link'));
    expect(desk.callsTo('openUrl')).toEqual([['https://github.com/acme/app/pull/42', false]]);
  });

  it('opens the review from the gate\'s Review button', async () => {
    const desk = new FakeDesk();
    await renderAppLive(tbyteSnapshot(), desk);
    await fireEvent.click(screen.getByRole('button', { name: 'Review promotion to production' }));
    expect(await screen.findByTestId('review')).toHaveAttribute('data-environment', 'production');
    expect(desk.callsTo('review')).toEqual([['production', null]]);
  });

  it('does not leave a screen on Escape while the person types', async () => {
    await renderAppLive(tbyteSnapshot());
    await fireEvent.click(screen.getByTestId('nav-inbox'));
    const input = document.createElement('input');
    screen.getByTestId('inbox').appendChild(input);
    await fireEvent.keyDown(input, { key: 'Escape' });
    expect(screen.getByTestId('inbox')).toBeInTheDocument();
  });
});

describe('inbox', () => {
  /** The console's Snapshot with what waits on alice-approver. */
  const waiting = (sequence: number, items = [inboxItem()]) => ({
    ...tbyteSnapshot(sequence),
    viewer: 'alice-approver',
    inbox: items,
  });

  it('asks to sign in when nobody is signed in', async () => {
    await renderAppLive(tbyteSnapshot());
    await fireEvent.click(screen.getByTestId('nav-inbox'));
    expect(screen.getByTestId('inbox-signed-out')).toHaveTextContent('Sign in to see what waits on you.');
  });

  it('says when nothing waits', async () => {
    const { desk } = await renderAppLive(tbyteSnapshot(), signedIn());
    await fireEvent.click(screen.getByTestId('nav-inbox'));
    expect(screen.getByTestId('inbox-empty')).toHaveTextContent('Nothing is waiting on you.');
    expect(screen.queryByTestId('inbox-count')).not.toBeInTheDocument();
    await vi.waitFor(() => expect(desk.callsTo('setAttention')).toEqual([[0]]));
  });

  it('shows what waits, counts it in the title, and opens the review of its run', async () => {
    const desk = signedIn();
    desk.reviews.set('production', reviewFixture());
    desk.runReviews.set(77, approvableReview());
    await renderAppLive(waiting(1), desk);

    expect(screen.getByTestId('inbox-count')).toHaveTextContent('1');
    expect(screen.getByTestId('nav-inbox')).toHaveAccessibleName('Inbox 1 waiting on you');
    await vi.waitFor(() => expect(desk.callsTo('setAttention')).toEqual([[1]]));
    // It was waiting at start: counted, not announced.
    expect(desk.callsTo('notify')).toEqual([]);

    await fireEvent.click(screen.getByTestId('nav-inbox'));
    const item = screen.getByTestId('inbox-item');
    expect(textOf(item)).toContain('Promote into production: aaa1111 → bbb2222');
    expect(textOf(item)).toContain('deploy run #77 by @bob waits for your review');
    await fireEvent.click(within(item).getByRole('button', { name: 'Review promotion to production' }));
    const review = await screen.findByTestId('review');
    // The run GitHub asks this person about, not whichever the console would pick.
    await within(review).findByTestId('decide');
    expect(desk.callsTo('review')).toEqual([['production', 77]]);
    expect(within(review).getByTestId('approve')).toBeEnabled();
  });

  it('says where a quorum of approvals stands on the item', async () => {
    const desk = signedIn();
    await renderAppLive(waiting(1, [inboxItem({ approvals: '1 of 2 approvals: @carol' })]), desk);
    await fireEvent.click(screen.getByTestId('nav-inbox'));
    expect(textOf(screen.getByTestId('inbox-approvals'))).toBe('1 of 2 approvals: @carol');
  });

  it('notifies once for each new item, and updates the count as it changes', async () => {
    const desk = signedIn();
    const { live } = await renderAppLive(waiting(1, []), desk);
    await vi.waitFor(() => expect(desk.callsTo('setAttention')).toEqual([[0]]));

    await pushSnapshot(live, waiting(2));
    await vi.waitFor(() => expect(desk.callsTo('setAttention')).toEqual([[0], [1]]));
    expect(desk.callsTo('notify')).toEqual([
      ['Waiting on you: production', 'Promote bbb2222 from staging to production (3 commits), started by @bob.'],
    ]);

    // The same thing still waiting: no second notification, no new count.
    await pushSnapshot(live, waiting(3));
    await act();
    expect(desk.callsTo('notify')).toHaveLength(1);
    expect(desk.callsTo('setAttention')).toHaveLength(2);

    await pushSnapshot(live, waiting(4, []));
    await vi.waitFor(() => expect(desk.callsTo('setAttention')).toEqual([[0], [1], [0]]));
    expect(screen.queryByTestId('inbox-count')).not.toBeInTheDocument();
  });

  it('reloads the pipeline when an environment is pointed at another kube context', async () => {
    const loadPipeline = vi.fn(async () => tbytePipeline());
    const { desk } = renderApp({ pipeline: loadPipeline });
    await vi.waitFor(() => expect(desk.callsTo('getSession')).toHaveLength(1));
    expect(loadPipeline).toHaveBeenCalledTimes(1);

    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    await fireEvent.change(await screen.findByRole('combobox', { name: 'Kube context for production' }), {
      target: { value: 'prod-eks-admin' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Use context prod-eks-admin for production' }));
    await vi.waitFor(() => expect(loadPipeline).toHaveBeenCalledTimes(2));
  });
});
