// A release manager approves a release whose new pods crash in production (a fault of the
// simulated world): the rollout stalls, the window offers Rollback with the reason, and rolling
// back brings production's previous version back, healthy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { byTestId, clockFreePipeline, enabled, launchApp, openWaitingReview, startSim, textOf, waitFor } from './harness.mjs';

/** Ten simulated minutes of progress deadline at speed 15, with room to spare. */
const STALL_TIMEOUT_MS = 180_000;

async function productionCard(driver) {
  const cards = await driver.findElements(byTestId('environment-card'));
  if (cards.length !== 3) return null;
  const version = (await cards[2].findElement(byTestId('version')).getText()).split('\n')[0].trim();
  const health = await cards[2].getAttribute('data-health');
  return { version, health };
}

describe('rollback after a rollout that stalls', () => {
  let sim;
  let app;
  let driver;
  let before_;

  before(async () => {
    const pipeline = clockFreePipeline();
    sim = await startSim({ pipeline, speed: 15, args: ['--crash-next-rollout', 'production'] });
    app = await launchApp({
      args: ['--pipeline', pipeline, '--kubeconfig', sim.kubeconfig, '--github-api-url', sim.github],
      // GH_TOKEN is used as-is and wins over the keychain, as gh does.
      env: { GH_TOKEN: sim.tokens['alice-approver'] },
    });
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
    await sim?.stop();
  });

  it('approves the waiting release and is offered Rollback when its rollout stalls', async () => {
    before_ = await waitFor(
      driver,
      async () => {
        const card = await productionCard(driver);
        return card?.health === 'healthy' ? card : null;
      },
      'production healthy',
    );
    await openWaitingReview(driver);
    const approve = await enabled(driver, byTestId('approve'), 'Approve enabled for the required reviewer');
    await approve.click();
    (await enabled(driver, byTestId('confirm-approve-button'), 'the confirmation step')).click();
    const outcome = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('outcome')))[0],
      'the promotion outcome',
      STALL_TIMEOUT_MS,
    );
    const text = await outcome.getText();
    assert.equal(await outcome.getAttribute('data-result'), 'failed', `outcome: ${text}`);
    const reason = await textOf(driver, byTestId('rollback-reason'));
    assert.match(reason ?? '', /stalled|progress deadline/, `rollback offered with the reason: ${reason}`);
  });

  it('rolls production back to the version it ran before, healthy', async () => {
    await (await enabled(driver, byTestId('rollback-button'), 'the Rollback button')).click();
    await (await enabled(driver, byTestId('confirm-rollback-button'), 'the rollback confirmation')).click();
    const rolled = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('rollback-outcome')))[0],
      'the rollback outcome',
      STALL_TIMEOUT_MS,
    );
    assert.equal(await rolled.getAttribute('data-result'), 'succeeded', await rolled.getText());
    await driver.findElement(byTestId('nav-pipeline')).click();
    const after_ = await waitFor(
      driver,
      async () => {
        const card = await productionCard(driver);
        return card?.health === 'healthy' && card.version === before_.version ? card : null;
      },
      `production back on ${before_.version}, healthy`,
      60_000,
    );
    assert.equal(after_.version, before_.version);
  });
});
