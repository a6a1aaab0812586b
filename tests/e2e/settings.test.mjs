// A person whose kubeconfig names the cluster differently points an environment at their own
// context in Settings, sees the live view read through it, and goes back to the pipeline file's —
// on a standalone simulated world, through the real app. The choice is kept in the app's config
// folder, not in the pipeline file.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { By } from 'selenium-webdriver';
import { byTestId, clockFreePipeline, launchApp, startSim, waitFor } from './harness.mjs';

describe('settings: kube context per environment', () => {
  let sim;
  let app;
  let driver;
  let pipeline;

  before(async () => {
    pipeline = clockFreePipeline();
    sim = await startSim({ pipeline });
    app = await launchApp({
      args: ['--pipeline', pipeline, '--kubeconfig', sim.kubeconfig, '--github-api-url', sim.github],
    });
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
    await sim?.stop();
  });

  const sources = async () => {
    const found = await driver.findElements(byTestId('source'));
    return Promise.all(found.map((s) => s.getText()));
  };

  const productionSelect = () => driver.findElement(By.css('select[aria-label="Kube context for production"]'));

  it('points production at another context of the kubeconfig and back', async () => {
    await waitFor(driver, async () => (await sources()).some((s) => s.includes('kubernetes (tbyte)')), 'the live view reads context tbyte');
    await driver.findElement(byTestId('nav-settings')).click();
    const select = await waitFor(driver, async () => (await driver.findElements(By.css('select[aria-label="Kube context for production"]')))[0], 'Settings offers a context per environment');
    assert.equal(await select.getAttribute('value'), 'tbyte');

    // The simulated kubeconfig also has a context per person: read production as the viewer.
    await select.findElement(By.css('option[value="tbyte@vera-viewer"]')).click();
    // Picking is not choosing yet: "Use" applies it (and reconnects).
    await waitFor(driver, async () => (await driver.findElements(byTestId('settings-context-apply')))[0], 'a Use button for the picked context').then((b) => b.click());
    await waitFor(driver, async () => (await driver.findElements(byTestId('settings-context-chosen'))).length === 1, 'the choice is marked as this machine\'s');
    assert.equal(await productionSelect().then((s) => s.getAttribute('value')), 'tbyte@vera-viewer');

    // WebKit's screenshot is the last painted frame: let the change paint first.
    await driver.sleep(1000);
    const shots = join(process.cwd(), 'target', 'e2e');
    mkdirSync(shots, { recursive: true });
    writeFileSync(join(shots, 'settings-contexts.png'), await driver.takeScreenshot(), 'base64');

    const kept = JSON.parse(readFileSync(join(app.home, '.config', 'sluice', 'kube-contexts.json'), 'utf8'));
    assert.deepEqual(Object.values(kept.pipelines), [{ production: 'tbyte@vera-viewer' }]);
    assert.ok(!readFileSync(pipeline, 'utf8').includes('vera-viewer'), 'the pipeline file is untouched');

    await driver.findElement(byTestId('nav-pipeline')).click();
    await waitFor(driver, async () => (await sources()).some((s) => s.includes('kubernetes (tbyte@vera-viewer)')), 'the live view reads production through the chosen context');
    const production = await driver.findElement(By.css('[data-testid="environment-card"][data-environment="production"]'));
    assert.match(await production.getText(), /tbyte@vera-viewer/, 'the production card names the chosen context');

    await driver.findElement(byTestId('nav-settings')).click();
    await waitFor(driver, async () => (await driver.findElements(byTestId('settings-context-reset')))[0], 'the choice can be taken back').then((b) => b.click());
    await waitFor(driver, async () => (await driver.findElements(byTestId('settings-context-chosen'))).length === 0, 'back to the pipeline file\'s context');
    await driver.findElement(byTestId('nav-pipeline')).click();
    await waitFor(driver, async () => {
      const names = await sources();
      return names.length > 0 && !names.some((s) => s.includes('vera-viewer'));
    }, 'the live view no longer reads as the viewer');
  });
});
