// A product owner opens Sluice on a world that later goes away (the VPN drops): the next start
// shows the last state this computer saw whole, marked with its time and greyed, and keeps it
// while the clusters and GitHub cannot be reached.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { By } from 'selenium-webdriver';
import { byTestId, clockFreePipeline, launchApp, scratch, startSim, textOf, waitFor } from './harness.mjs';

async function versions(driver) {
  const cards = await driver.findElements(byTestId('environment-card'));
  if (cards.length !== 3) return null;
  const out = [];
  for (const card of cards) {
    const version = await card.findElements(byTestId('version'));
    if (version.length === 0) return null;
    out.push((await version[0].getText()).split('\n')[0].trim());
  }
  return out.every((v) => /^[0-9a-f]{7}$/.test(v)) ? out : null;
}

describe('the last-known state after the world went away', () => {
  let sim;
  let app;
  const home = scratch('offline-home');

  after(async () => {
    await app?.quit();
    await sim?.stop();
  });

  it('opens on what it last saw, as of when, and keeps it without a network', async () => {
    const pipeline = clockFreePipeline();
    sim = await startSim({ pipeline });
    const args = ['--pipeline', pipeline, '--kubeconfig', sim.kubeconfig, '--github-api-url', sim.github];
    const env = { GH_TOKEN: sim.tokens['vera-viewer'] };
    app = await launchApp({ args, env, home });
    const seen = await waitFor(app.driver, () => versions(app.driver), 'three versions, live');
    // Kept whole at most every few seconds: give the saver its turn before quitting.
    await new Promise((r) => setTimeout(r, 6000));
    await app.quit();
    app = null;
    await sim.stop();
    sim = null;

    app = await launchApp({ args, env, home });
    const { driver } = app;
    const banner = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('last-known')))[0],
      'the last-known banner',
    );
    assert.match(await banner.getText(), /^Last known state, as of .+ — reconnecting to the clusters and GitHub…$/);
    assert.deepEqual(await versions(driver), seen, 'the versions last seen');
    // The sources fail to answer: the state stays, and the status bar says why.
    await waitFor(
      driver,
      async () => (await driver.findElements(By.css('[data-testid="source"][data-connected="false"] .error'))).length > 0,
      'a source reported as failing, with its error',
      60_000,
    );
    assert.deepEqual(await versions(driver), seen, 'still the versions last seen');
    assert.ok((await textOf(driver, byTestId('last-known'))).startsWith('Last known state'));
  });
});
