// A product owner without any credentials, on the built-in demo world: every environment's
// version and health is visible, Approve is never enabled; then the demo is sped up until the
// broken release (every third one) crashes in staging, and the window shows the failing pods
// and the gate blocked with its reason.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { By } from 'selenium-webdriver';
import { PIPELINE, byTestId, launchApp, textOf, waitFor } from './harness.mjs';

const BROKEN_TIMEOUT_MS = 180_000;

describe('product owner without a token', () => {
  let app;
  let driver;

  before(async () => {
    // No kube context of the pipeline exists here, so the app opens the demo world.
    app = await launchApp({ args: ['--pipeline', PIPELINE], env: { GH_TOKEN: '', GITHUB_TOKEN: '' } });
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
  });

  it("sees every environment's version and health", async () => {
    const cards = await waitFor(
      driver,
      async () => {
        const found = await driver.findElements(byTestId('environment-card'));
        if (found.length !== 3) return null;
        for (const card of found) {
          const version = await card.findElements(byTestId('version'));
          const health = await card.findElements(byTestId('health'));
          if (version.length === 0 || health.length === 0) return null;
          if (!/healthy|progressing|degraded/i.test(await health[0].getText())) return null;
        }
        return found;
      },
      'three cards with version and health',
    );
    for (const card of cards) {
      const version = await card.findElement(byTestId('version')).getText();
      assert.match(version, /[0-9a-f]{7}/, `a version is shown: ${version}`);
    }
    assert.ok((await driver.findElements(byTestId('demo-badge'))).length > 0, 'the demo is marked as such');
  });

  it('is offered no enabled Approve button, and is told why', async () => {
    const review = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('gate-review')))[0],
      'the gate review button',
    );
    await review.click();
    await waitFor(driver, async () => textOf(driver, byTestId('release-notes')), 'the review');
    const approve = await driver.findElements(byTestId('approve'));
    for (const button of approve) {
      assert.equal(await button.isEnabled(), false, 'Approve is enabled for someone not signed in');
    }
    const refusals = await textOf(driver, byTestId('refusals'));
    assert.match(refusals ?? '', /sign in/i, `the reason: ${refusals}`);
    const reject = await driver.findElements(byTestId('reject'));
    for (const button of reject) assert.equal(await button.isEnabled(), false);
    await driver.findElement(byTestId('nav-pipeline')).click();
  });

  it('sees the broken release fail in staging and the gate blocked with the reason', async () => {
    await driver.findElement(byTestId('demo-speed-60')).click();
    const staging = await waitFor(
      driver,
      async () => {
        const cards = await driver.findElements(byTestId('environment-card'));
        const card = cards[1];
        if (!card) return null;
        const failing = await card.findElements(byTestId('failing-pods'));
        if (failing.length === 0) return null;
        const text = await failing[0].getText();
        return /CrashLoopBackOff|Error/.test(text) ? card : null;
      },
      'failing pods in staging',
      BROKEN_TIMEOUT_MS,
    );
    const health = await staging.findElement(byTestId('health')).getText();
    assert.match(health, /degraded|progressing/i, `staging health: ${health}`);
    const gate = await driver.findElement(byTestId('gate'));
    const status = await gate.findElement(byTestId('gate-status')).getText();
    assert.match(status, /blocked/i);
    // The reason shows on focus, as it does on hover.
    const chip = await gate.findElement(By.css('[data-testid="gate-condition"][data-kind="source-healthy"]'));
    assert.equal(await chip.getAttribute('data-met'), 'false', 'staging is not healthy enough to promote');
    await chip.click();
    const tip = await driver.findElement(By.id(await chip.getAttribute('aria-describedby')));
    const reason = await waitFor(driver, async () => (await tip.isDisplayed()) && tip.getText(), 'the reason on focus');
    assert.match(reason, /staging/i, reason);
    assert.match(reason, /degraded|failing|CrashLoopBackOff|not healthy|progressing/i, reason);
    // Put the clock back for whoever looks at the window next.
    await driver.findElement(byTestId('demo-speed-1')).click();
  });
});
