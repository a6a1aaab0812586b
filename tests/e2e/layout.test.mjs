// The whole pipeline fits the smallest window Sluice supports (900×600) and a projector's
// 1024×768 in presentation mode: every environment and the gate into production are inside the
// window, and no heading is cut short.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { By } from 'selenium-webdriver';
import { byTestId, launchApp, waitFor } from './harness.mjs';

/** What of the pipeline lies outside the window, or is cut short, in words; empty when whole. */
async function cutOff(driver, scope) {
  return driver.executeScript(
    `
    const scope = document.querySelector(arguments[0]) ?? document;
    const width = window.innerWidth;
    const problems = [];
    for (const el of scope.querySelectorAll('[data-testid="environment-card"], [data-testid="gate"]')) {
      const name = el.dataset.environment + ' ' + el.dataset.testid;
      const r = el.getBoundingClientRect();
      if (r.left < -1 || r.right > width + 1) problems.push(name + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + width);
      for (const h of el.querySelectorAll('h2')) {
        if (h.scrollWidth > h.clientWidth + 1) problems.push(name + ' heading "' + h.textContent.trim() + '" is cut short');
      }
    }
    if (document.documentElement.scrollWidth > width + 1) problems.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + width);
    return problems;
  `,
    scope,
  );
}

async function resize(driver, width, height) {
  await driver.manage().window().setRect({ width, height });
  return waitFor(
    driver,
    async () => {
      const inner = await driver.executeScript('return [window.innerWidth, window.innerHeight]');
      return inner[0] <= width && inner[0] >= width - 40 ? inner : null;
    },
    `a ${width}×${height} window`,
  );
}

describe('the pipeline fits small windows', () => {
  let app;
  let driver;

  before(async () => {
    // No kube context of the pipeline exists here: the demo world opens.
    app = await launchApp();
    driver = app.driver;
    await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('gate'))).length > 0 && (await driver.findElements(byTestId('environment-card'))).length === 3,
      'the pipeline',
    );
  });

  after(async () => {
    await app?.quit();
  });

  it('shows every environment and the gate whole at 900×600', async () => {
    await resize(driver, 900, 600);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await cutOff(driver, '[data-testid="pipeline-view"]'), []);
    const production = await driver.findElement(
      By.css('[data-testid="environment-card"][data-environment="production"]'),
    );
    assert.ok(await production.isDisplayed(), 'production is shown');
  });

  it('shows every environment and the gate whole in presentation mode at 1024×768', async () => {
    await driver.findElement(byTestId('nav-present')).click();
    await waitFor(driver, async () => (await driver.findElements(byTestId('presentation'))).length > 0, 'presentation mode');
    await resize(driver, 1024, 768);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await cutOff(driver, '[data-testid="presentation"]'), []);
    const cards = await driver.findElements(byTestId('environment-card'));
    assert.equal(cards.length, 3, 'all three environments are in the presentation');
  });
});
