import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { PullRequestState } from '../bindings';
import { FakeDesk, FakeLive, fakeBackend, tbytePipeline, tbyteSnapshot } from '../../test/fixtures';
import PullRequestList from './PullRequestList.svelte';
import TestHost from './audit/TestHost.svelte';

function renderList(pullRequests: PullRequestState[], desk = new FakeDesk()) {
  render(TestHost, {
    props: {
      backend: fakeBackend(async () => tbytePipeline(), new FakeLive(), desk),
      component: PullRequestList as unknown as Component<Record<string, unknown>>,
      viewProps: { pullRequests },
    },
  });
  return desk;
}

function item(number: number): HTMLElement {
  const element = screen.getAllByTestId('pull-request').find((li) => li.dataset.number === String(number));
  if (!element) throw new Error(`no pull request #${number}`);
  return element;
}

describe('open pull requests', () => {
  it('opens a pull request on GitHub, through the backend, from its title', async () => {
    const desk = renderList(tbyteSnapshot().pullRequests);

    const link = screen.getByRole('button', { name: '#43 Faster startup (opens on GitHub)' });
    expect(item(43)).toContainElement(link);
    expect(link).toHaveTextContent('#43 Faster startup');
    expect(link).toHaveAttribute('title', 'https://github.com/acme/app/pull/43');

    await fireEvent.click(link);
    expect(desk.callsTo('openUrl')).toEqual([['https://github.com/acme/app/pull/43', false]]);
  });

  it('asks before opening a link the console does not open at once, and opens it only when told', async () => {
    const desk = new FakeDesk();
    desk.askBeforeOpening.add('evil.example');
    const [first] = tbyteSnapshot().pullRequests;
    renderList([{ ...first!, url: 'https://evil.example/acme/app/pull/43' }], desk);

    await fireEvent.click(screen.getByRole('button', { name: /#43 Faster startup/ }));
    const prompt = await screen.findByTestId('link-confirm');
    expect(prompt).toHaveTextContent('This link leads to evil.example, not to your GitHub.');
    expect(desk.callsTo('openUrl')).toEqual([['https://evil.example/acme/app/pull/43', false]]);

    await fireEvent.click(within(prompt).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('link-confirm')).not.toBeInTheDocument();
    expect(desk.callsTo('openUrl')).toHaveLength(1);

    await fireEvent.click(screen.getByRole('button', { name: /#43 Faster startup/ }));
    await fireEvent.click(within(await screen.findByTestId('link-confirm')).getByRole('button', { name: 'Open it' }));
    expect(desk.callsTo('openUrl')).toEqual([
      ['https://evil.example/acme/app/pull/43', false],
      ['https://evil.example/acme/app/pull/43', false],
      ['https://evil.example/acme/app/pull/43', true],
    ]);
    await waitFor(() => expect(screen.queryByTestId('link-confirm')).not.toBeInTheDocument());
  });

  it('reaches every pull request from the keyboard, in order', () => {
    renderList(tbyteSnapshot().pullRequests);

    const links = screen.getAllByTestId('pull-request-link');
    expect(links.map((link) => link.getAttribute('aria-label'))).toEqual([
      '#43 Faster startup (opens on GitHub)',
      '#41 Dark mode (opens on GitHub)',
    ]);
    for (const link of links) {
      expect(link.tagName).toBe('BUTTON');
      expect(link).toHaveAttribute('type', 'button');
      expect(link).not.toHaveAttribute('tabindex');
      link.focus();
      expect(link).toHaveFocus();
    }
  });

  it('shows a pull request without an address it can open as text, not a link', async () => {
    const [first, second] = tbyteSnapshot().pullRequests;
    const desk = renderList([
      { ...first!, url: '' },
      { ...second!, url: 'file:///etc/passwd' },
    ]);

    for (const number of [43, 41]) {
      expect(within(item(number)).queryByRole('button')).not.toBeInTheDocument();
      expect(within(item(number)).queryByRole('link')).not.toBeInTheDocument();
    }
    expect(item(43)).toHaveTextContent('#43 Faster startup');
    await fireEvent.click(within(item(43)).getByText(/Faster startup/));
    expect(desk.callsTo('openUrl')).toEqual([]);
  });

  it('says when none are open', () => {
    renderList([]);
    expect(screen.getByText('none open')).toBeInTheDocument();
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });
});
