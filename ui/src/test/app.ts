// Rendering the whole window against a fake backend, for tests that go through
// the shell (navigation, live store, inbox) the way a person would.
import { act, render, screen } from '@testing-library/svelte';
import { expect, vi } from 'vitest';
import App from '../App.svelte';
import type { Pipeline, Snapshot } from '../lib/bindings';
import { FakeDesk, FakeLive, fakeBackend, tbytePipeline } from './fixtures';

export interface Rendered {
  live: FakeLive;
  desk: FakeDesk;
}

export function renderApp(
  options: { live?: FakeLive; desk?: FakeDesk; pipeline?: () => Promise<Pipeline> } = {},
): Rendered {
  const live = options.live ?? new FakeLive(null);
  const desk = options.desk ?? new FakeDesk();
  render(App, { props: { backend: fakeBackend(options.pipeline ?? (async () => tbytePipeline()), live, desk) } });
  return { live, desk };
}

/** Renders with `snapshot` as the current live state and waits until it is on screen. */
export async function renderAppLive(snapshot: Snapshot, desk: FakeDesk = new FakeDesk()): Promise<Rendered> {
  const rendered = renderApp({ live: new FakeLive(snapshot), desk });
  await screen.findAllByTestId('version');
  await vi.waitFor(() => expect(rendered.desk.callsTo('getSession')).toHaveLength(1));
  return rendered;
}

export async function pushSnapshot(live: FakeLive, snapshot: Snapshot): Promise<void> {
  await act(() => live.push(snapshot));
}

/** The environment card for `name`. */
export function envCard(name: string): HTMLElement {
  const element = screen.getAllByTestId('environment-card').find((c) => c.dataset.environment === name);
  if (!element) throw new Error(`no card for ${name}`);
  return element;
}

/** Collapsed text content of `element`. */
export function textOf(element: Element | null | undefined): string {
  return (element?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** A table row's cells' text, joined by single spaces. */
export function cellsOf(row: Element): string {
  return [...row.querySelectorAll('th, td')].map((cell) => textOf(cell)).join(' ');
}
