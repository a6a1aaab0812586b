// Screenshots of every view, light and dark, from the real app on the demo world, driven over
// WebDriver: `make screenshots` writes docs/screenshots/<view>-<theme>.png, and the pipeline at
// the smallest window (900×600) and presentation mode on a projector (1024×768).
//
// The demo keeps its own journal: the audit view is shot once the demo's simulated release lead
// has approved a release, so it shows what it looks like in use.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { By } from 'selenium-webdriver';
import { PIPELINE, byTestId, launchApp, scratch, waitFor } from '../e2e/harness.mjs';

const OUT = process.argv[2] ?? 'docs/screenshots';
const THEMES = { light: 'Adwaita', dark: 'Adwaita:dark' };

async function shoot(driver, name) {
  // Let transitions and the first snapshot after a navigation settle.
  await new Promise((r) => setTimeout(r, 800));
  const png = await driver.takeScreenshot();
  const path = join(OUT, `${name}.png`);
  writeFileSync(path, Buffer.from(png, 'base64'));
  console.log(`wrote ${path}`);
}

async function click(driver, locator, what) {
  const element = await waitFor(driver, async () => (await driver.findElements(locator))[0], what);
  await element.click();
}

async function capture(theme) {
  const home = scratch(`shots-${theme}`);
  const app = await launchApp({ args: ['--pipeline', PIPELINE], env: { GTK_THEME: THEMES[theme] }, home });
  const { driver } = app;
  try {
    await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('health'))).length === 3,
      'three environments with their health',
    );
    await shoot(driver, `pipeline-${theme}`);
    await driver.manage().window().setRect({ width: 900, height: 600 });
    await shoot(driver, `pipeline-900x600-${theme}`);
    await driver.manage().window().setRect({ width: 1280, height: 800 });

    await click(driver, byTestId('nav-settings'), 'Settings');
    await waitFor(driver, async () => (await driver.findElements(byTestId('settings-account'))).length > 0, 'settings');
    await shoot(driver, `settings-${theme}`);
    await click(driver, By.css('[data-testid="settings-demo-person"][data-login="alice-approver"]'), 'alice');
    await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('settings-signed-in-as'))).length > 0,
      'signed in as alice',
    );

    await click(driver, byTestId('nav-inbox'), 'Inbox');
    await waitFor(driver, async () => (await driver.findElements(byTestId('inbox'))).length > 0, 'the inbox');
    await shoot(driver, `inbox-${theme}`);

    await click(driver, byTestId('nav-pipeline'), 'Pipeline');
    await click(driver, By.css('[data-testid="environment-open"][data-environment="staging"]'), 'staging');
    await waitFor(driver, async () => (await driver.findElements(byTestId('pod-row'))).length > 0, 'staging pods');
    await waitFor(driver, async () => (await driver.findElements(byTestId('values-summary'))).length > 0, 'values');
    await shoot(driver, `environment-${theme}`);

    await click(driver, byTestId('nav-pipeline'), 'Pipeline');
    await click(driver, byTestId('gate-review'), 'the gate review');
    await waitFor(driver, async () => (await driver.findElements(byTestId('release-notes'))).length > 0, 'the review');
    await shoot(driver, `review-${theme}`);

    // At 60×, the simulated release lead approves the waiting release within seconds.
    await click(driver, byTestId('nav-audit'), 'Audit');
    await click(driver, byTestId('demo-speed-60'), '60× speed');
    await waitFor(
      driver,
      async () => {
        if ((await driver.findElements(byTestId('audit-attempt'))).length > 0) return true;
        await driver.findElement(byTestId('audit-refresh')).click();
        await new Promise((r) => setTimeout(r, 1000));
        return false;
      },
      "the lead's approval in the journal",
      120_000,
    );
    await click(driver, byTestId('demo-speed-1'), '1× speed');
    await shoot(driver, `audit-${theme}`);

    // Presentation mode, at demo speed until a rollout is under way.
    await click(driver, byTestId('nav-present'), 'Present');
    await click(driver, byTestId('demo-speed-60'), '60× speed');
    await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('presentation-focus'))).length > 0,
      'an active rollout',
      120_000,
    ).catch(() => console.warn('no rollout started within 2 minutes; presentation shot without one'));
    await click(driver, byTestId('demo-speed-1'), '1× speed');
    await shoot(driver, `presentation-${theme}`);
    await driver.manage().window().setRect({ width: 1024, height: 768 });
    await shoot(driver, `presentation-1024x768-${theme}`);
  } finally {
    await app.quit();
  }
}

mkdirSync(OUT, { recursive: true });
for (const theme of Object.keys(THEMES)) await capture(theme);
