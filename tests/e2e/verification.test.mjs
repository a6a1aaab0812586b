// A release whose new pods crash a while after their rollout completed (a fault of the simulated
// world), into a production whose pipeline entry asks for verification with `onFailure:
// rollback`: the window shows the verifying phase with its timer and checks, then the failure
// with its reason, says loudly that Sluice rolled back, and the card shows the version the
// cluster runs again — asked of the world itself with `sluice status --json`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  APP,
  byTestId,
  clockFreePipeline,
  enabled,
  launchApp,
  openWaitingReview,
  scratch,
  startSim,
  textOf,
  waitFor,
} from './harness.mjs';

/** The world's clock runs this much faster: the release waits on production within seconds. */
const SPEED = 15;
/**
 * The new pods run healthy for 15 simulated minutes (a minute here) before they crash: long after
 * their rollout, so the verifying phase is under way, on a busy machine too.
 */
const HEALTHY_SCENARIO_SECONDS = 900;
/** Verification lasts longer than the crash takes to come; a failure ends it at once. */
const VERIFY_SECONDS = 600;
const PHASE_TIMEOUT_MS = 240_000;

/** The clock-free pipeline with `verify` on production (the last environment of the file). */
function verifyingPipeline() {
  const path = clockFreePipeline();
  const text = readFileSync(path, 'utf8').replace(/\n*$/, '\n');
  writeFileSync(
    path,
    `${text}    verify:\n      for: ${VERIFY_SECONDS}s\n      onFailure: rollback\n      warningReasons: [BackOff]\n`,
  );
  return path;
}

async function productionCard(driver) {
  const cards = await driver.findElements(byTestId('environment-card'));
  const card = (
    await Promise.all(cards.map(async (c) => ((await c.getAttribute('data-environment')) === 'production' ? c : null)))
  ).find(Boolean);
  if (!card) return null;
  const version = (await card.findElement(byTestId('version')).getText()).split('\n')[0].trim();
  const health = await card.getAttribute('data-health');
  const badges = await card.findElements(byTestId('card-verification'));
  const badge = badges[0] ? { phase: await badges[0].getAttribute('data-phase'), text: await badges[0].getText() } : null;
  return { version, health, badge };
}

/** What production runs, as `sluice status --json` reads it from the world. */
async function worldVersion(pipeline, sim) {
  const { stdout } = await promisify(execFile)(
    APP,
    ['--pipeline', pipeline, '--kubeconfig', sim.kubeconfig, '--github-api-url', sim.github, 'status', '--json'],
    { env: { ...process.env, HOME: scratch('status') }, timeout: 120_000 },
  );
  const snapshot = JSON.parse(stdout);
  const production = snapshot.environments.find((e) => e.name === 'production');
  return production?.version?.label ?? null;
}

describe('verification after a promotion, failing and rolled back', () => {
  let sim;
  let app;
  let driver;
  let pipeline;
  let before_;

  before(async () => {
    pipeline = verifyingPipeline();
    sim = await startSim({
      pipeline,
      speed: SPEED,
      args: ['--crash-next-rollout', 'production', '--crash-after', String(HEALTHY_SCENARIO_SECONDS)],
    });
    app = await launchApp({
      args: ['--pipeline', pipeline, '--kubeconfig', sim.kubeconfig, '--github-api-url', sim.github],
      env: { GH_TOKEN: sim.tokens['alice-approver'] },
    });
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
    await sim?.stop();
  });

  it('approves the waiting release and shows the verifying phase with its timer and checks', async () => {
    before_ = await waitFor(
      driver,
      async () => {
        const card = await productionCard(driver);
        return card?.health === 'healthy' ? card : null;
      },
      'production healthy',
      60_000,
    );
    await openWaitingReview(driver);
    (await enabled(driver, byTestId('approve'), 'Approve enabled for the required reviewer')).click();
    (await enabled(driver, byTestId('confirm-approve-button'), 'the confirmation step')).click();

    const phase = await waitFor(
      driver,
      async () => {
        const found = (await driver.findElements(byTestId('verification')))[0];
        if (!found || (await found.getAttribute('data-phase')) !== 'verifying') return null;
        return (await found.findElements(byTestId('verification-check'))).length === 4 ? found : null;
      },
      'the verifying phase on the review screen',
      PHASE_TIMEOUT_MS,
    );
    const timer = await phase.findElement(byTestId('verification-timer')).getText();
    assert.match(timer, new RegExp(`^held \\d+ s of ${VERIFY_SECONDS} s$`), timer);
    const checks = await Promise.all(
      (await phase.findElements(byTestId('verification-check'))).map(async (c) => [
        await c.getAttribute('data-check'),
        await c.getAttribute('data-holding'),
      ]),
    );
    assert.deepEqual(checks, [
      ['restarts', 'true'],
      ['readiness', 'true'],
      ['crash-looping', 'true'],
      ['warnings', 'true'],
    ]);
    // The timer moves.
    await waitFor(
      driver,
      async () => {
        const now = await textOf(driver, byTestId('verification-timer'));
        return now && now !== timer ? now : null;
      },
      'the verification timer moving',
    );
  });

  it('shows the failure with its reason, then the automatic rollback, loudly', async () => {
    const phase = await waitFor(
      driver,
      async () => {
        const found = (await driver.findElements(byTestId('verification')))[0];
        return found && (await found.getAttribute('data-phase')) === 'rolled-back' ? found : null;
      },
      'the verification failed and rolled back',
      PHASE_TIMEOUT_MS,
    );
    const reason = await phase.findElement(byTestId('verification-reason')).getText();
    assert.match(reason, /restarted|crash-looping|of \d+ ready|BackOff/, reason);
    assert.match(reason, new RegExp(`rolled back to ${before_.version}$`), reason);
    const failed = await Promise.all(
      (await phase.findElements(byTestId('verification-check'))).map(async (c) =>
        (await c.getAttribute('data-holding')) === 'false' ? c.getAttribute('data-check') : null,
      ),
    );
    assert.ok(failed.some(Boolean), `a check failed: ${failed}`);

    const banner = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('verification-banner')))[0],
      'the verification banner',
    );
    assert.equal(await banner.getAttribute('data-phase'), 'rolled-back');
    const bannerText = await banner.getText();
    assert.match(bannerText, /production rolled back: verification failed/, bannerText);
    assert.match(bannerText, new RegExp(`rolled back to ${before_.version}`), bannerText);

    const outcome = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('outcome')))[0],
      'the promotion outcome',
      PHASE_TIMEOUT_MS,
    );
    const text = await outcome.getText();
    assert.equal(await outcome.getAttribute('data-result'), 'failed', text);
    assert.match(text, /rolled back automatically/, text);
    assert.equal((await driver.findElements(byTestId('rollback-button'))).length, 0, 'nothing left to offer');
  });

  it('shows on the card the version the cluster runs again', async () => {
    await driver.findElement(byTestId('nav-pipeline')).click();
    const card = await waitFor(
      driver,
      async () => {
        const c = await productionCard(driver);
        return c?.health === 'healthy' && c.version === before_.version && c.badge?.phase === 'rolled-back' ? c : null;
      },
      `production back on ${before_.version}, healthy, its card saying it was rolled back`,
      120_000,
    );
    assert.match(card.badge.text, new RegExp(`verification failed: rolled back to ${before_.version}`), card.badge.text);
    assert.equal(await worldVersion(pipeline, sim), card.version, 'the card shows what the cluster runs');
  });
});
