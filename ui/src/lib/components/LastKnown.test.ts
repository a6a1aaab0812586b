import { screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { minutesAgo, tbyteSnapshot } from '../../test/fixtures';
import { renderAppLive, textOf } from '../../test/app';

describe('last-known state', () => {
  it('says the pipeline shown is the state last seen, as of when, while reconnecting', async () => {
    const snapshot = tbyteSnapshot();
    snapshot.lastKnown = minutesAgo(45);
    snapshot.environments = snapshot.environments.map((e) => ({ ...e, stale: true }));
    await renderAppLive(snapshot);
    expect(textOf(screen.getByTestId('last-known'))).toBe(
      'Last known state, as of 45 min ago — reconnecting to the clusters and GitHub…',
    );
    expect(screen.getAllByTestId('version').map(textOf)).toEqual(['bbb2222', 'bbb2222', 'aaa1111']);
  });

  it('says nothing of the kind for live state', async () => {
    await renderAppLive(tbyteSnapshot());
    expect(screen.queryByTestId('last-known')).toBeNull();
  });
});
