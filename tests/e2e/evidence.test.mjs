// The evidence of a promotion, from the real app: approve a release on a standalone simulated
// world, export the attempt's evidence from the Audit view, check the files as an auditor would
// (`sluice evidence --verify`, no token in them), and open the page in the app's own window:
// it reads without any script, and loads nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  APP,
  byTestId,
  clockFreePipeline,
  enabled,
  launchApp,
  openWaitingReview,
  startSim,
  textOf,
  waitFor,
} from './harness.mjs';

const ROLLOUT_TIMEOUT_MS = 120_000;
/** A comment that would run, were the page to take it for markup. */
const COMMENT = "Evidence run </style><script>document.title='pwned'</script>";

describe('evidence of a promotion', () => {
  let sim;
  let app;
  let driver;
  let canary;
  let saved;

  before(async () => {
    const pipeline = clockFreePipeline();
    sim = await startSim({ pipeline, speed: 15 });
    canary = sim.tokens['alice-approver'];
    assert.ok(canary?.length > 20, 'the simulated approver has a token');
    app = await launchApp({
      args: ['--pipeline', pipeline, '--kubeconfig', sim.kubeconfig, '--github-api-url', sim.github],
      env: { GH_TOKEN: canary },
    });
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
    await sim?.stop();
  });

  it('approves the waiting release into production', async () => {
    await openWaitingReview(driver);
    const approve = await waitFor(
      driver,
      async () => {
        const button = (await driver.findElements(byTestId('approve')))[0];
        return button && (await button.isEnabled()) ? button : null;
      },
      'Approve enabled for the required reviewer',
      60_000,
    );
    await driver.findElement(byTestId('review-comment')).sendKeys(COMMENT);
    await approve.click();
    await (await enabled(driver, byTestId('confirm-approve-button'), 'the confirmation step')).click();
    const outcome = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('outcome')))[0],
      'the promotion outcome',
      ROLLOUT_TIMEOUT_MS,
    );
    assert.equal(await outcome.getAttribute('data-result'), 'succeeded', await outcome.getText());
  });

  it('exports the evidence from the Audit view, and it verifies without Sluice running', async () => {
    await driver.findElement(byTestId('nav-audit')).click();
    const attempt = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('audit-attempt')))[0],
      'the attempt in the journal',
    );
    assert.match(await attempt.getText(), /succeeded/i);
    await attempt.findElement(byTestId('audit-export-evidence')).click();
    const text = await waitFor(driver, async () => textOf(driver, byTestId('audit-evidence-result')), 'where it was saved');
    const match = / to (\S+\.html) and (\S+\.json)\./.exec(text);
    assert.ok(match, text);
    const hash = await textOf(driver, byTestId('audit-evidence-hash'));
    assert.match(hash, /^[0-9a-f]{64}$/);
    saved = { html: match[1], json: match[2], hash };
    assert.ok(saved.html.startsWith(`${app.home}/Downloads/`), saved.html);

    const page = readFileSync(saved.html, 'utf8');
    const json = readFileSync(saved.json, 'utf8');
    for (const [what, body] of [
      ['page', page],
      ['json', json],
    ]) {
      assert.ok(!body.includes(canary), `the token is in the ${what}`);
      assert.ok(body.includes('alice-approver'), `the ${what} names the approver`);
    }
    assert.ok(!/<script/i.test(page), 'the page holds a script');
    assert.ok(page.includes('Evidence run &lt;/style&gt;&lt;script&gt;'), 'the comment is text');
    assert.equal(JSON.parse(json).sha256, hash);
    for (const file of [saved.html, saved.json]) {
      const said = execFileSync(APP, ['evidence', '--verify', file], { encoding: 'utf8' });
      assert.match(said, new RegExp(`verified\\. SHA-256 of its content: ${hash}`), said);
    }
  });

  it('opens the page in a window of the app, which reads without script and loads nothing', async () => {
    const main = await driver.getWindowHandle();
    await driver.findElement(byTestId('audit-open-evidence')).click();
    const handle = await waitFor(
      driver,
      async () => (await driver.getAllWindowHandles()).find((h) => h !== main),
      'the evidence window',
    );
    await driver.switchTo().window(handle);
    const body = await waitFor(
      driver,
      async () => {
        const found = await driver.findElements({ css: 'body' });
        const text = found.length > 0 ? await found[0].getText() : '';
        return text.includes('SHA-256 of the content') ? text : null;
      },
      'the evidence page',
    );
    assert.match(body, /Evidence: approve \w+ into production — succeeded/);
    assert.ok(body.includes(saved.hash), 'the page shows its hash');
    assert.ok(body.includes('@alice-approver'), 'the approver');
    assert.ok(body.includes(COMMENT), 'the comment, as typed and shown as text');
    const seen = await driver.executeScript(`return {
      url: document.location.href,
      title: document.title,
      scripts: document.scripts.length,
      resources: performance.getEntriesByType('resource').map((r) => r.name),
    };`);
    assert.match(seen.url, /^sluice-evidence:\/\/localhost\/evidence-\d+$/, seen.url);
    assert.notEqual(seen.title, 'pwned');
    assert.equal(seen.scripts, 0);
    assert.deepEqual(seen.resources, [], 'the page loaded something');
    await driver.close();
    await driver.switchTo().window(main);
  });
});
