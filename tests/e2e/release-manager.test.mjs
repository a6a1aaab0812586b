// A release manager's session on a standalone simulated world, through the real app: signed in
// by GH_TOKEN, which is then kept in the keychain, open the staging → production gate, read the release
// notes, approve, and watch production reach every replica ready. The token is a canary: after
// the session it must appear in no file under the app's home, in nothing the app logged, and in
// nothing the webview can read.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { By } from 'selenium-webdriver';
import {
  byTestId,
  clockFreePipeline,
  enabled,
  filesContaining,
  launchApp,
  openWaitingReview,
  startSim,
  textOf,
  waitFor,
} from './harness.mjs';

const ROLLOUT_TIMEOUT_MS = 120_000;

describe('release manager approves a production release', () => {
  let sim;
  let app;
  let driver;
  let canary;

  before(async () => {
    const pipeline = clockFreePipeline();
    // Fast enough that the first release waits on production within seconds.
    sim = await startSim({ pipeline, speed: 15 });
    canary = sim.tokens['alice-approver'];
    assert.ok(canary?.length > 20, 'the simulated approver has a token');
    app = await launchApp({
      args: ['--pipeline', pipeline, '--kubeconfig', sim.kubeconfig, '--github-api-url', sim.github],
      env: { GH_TOKEN: canary, RUST_LOG: 'debug' },
    });
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
    await sim?.stop();
  });

  it('shows the three environments', async () => {
    await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('environment-card'))).length === 3,
      'three environment cards',
    );
  });

  it('acts as the GH_TOKEN person, and keeps the token in the keychain', async () => {
    await driver.findElement(byTestId('nav-settings')).click();
    // GH_TOKEN is used as-is and wins over a kept token, as with gh; the window says so.
    const why = await waitFor(
      driver,
      async () => textOf(driver, byTestId('settings-identity-why')),
      'which identity is used and why',
    );
    assert.match(why, /GH_TOKEN is set/, why);
    const importButton = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('settings-signin-env')))[0],
      'the GH_TOKEN import button',
    );
    await importButton.click();
    const signedIn = await waitFor(
      driver,
      async () => {
        const text = await textOf(driver, byTestId('settings-signed-in-as'));
        return text?.includes('alice-approver') ? text : null;
      },
      'signed in as @alice-approver',
    );
    assert.match(signedIn, /alice-approver/);
    const home = await waitFor(
      driver,
      async () => {
        const text = await textOf(driver, byTestId('settings-token-home'));
        return /Secret Service|keyring/i.test(text ?? '') ? text : null;
      },
      'the token kept in the keychain',
    );
    assert.match(home, /Secret Service|keyring/i);
  });

  it('opens the production gate and reads the release notes', async () => {
    await driver.findElement(byTestId('nav-pipeline')).click();
    // The deploy run reaches the production environment and waits there.
    await openWaitingReview(driver);
    // The notes come from GitHub's comparison of the two versions, which the console asks for
    // once it sees staging's new version: they may fill in a moment after the review opens.
    let notes = '';
    await waitFor(
      driver,
      async () => {
        notes = (await textOf(driver, byTestId('release-notes'))) ?? '';
        return /Compress API responses/.test(notes);
      },
      'release notes naming the pull request',
      60_000,
    ).catch((error) => {
      throw new Error(`${error.message}; release notes:\n${notes}`);
    });
    // The header reads the target first: what production runs → what would ship, from where;
    // held against the cards (the story may move staging on meanwhile: then look again).
    let header;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const versions = await textOf(driver, byTestId('review-versions'));
      const current = await textOf(driver, byTestId('review-current'));
      const candidate = await textOf(driver, byTestId('review-candidate'));
      await driver.findElement(byTestId('nav-pipeline')).click();
      const cards = await waitFor(
        driver,
        async () => {
          const found = await driver.findElements(byTestId('environment-card'));
          return found.length === 3 ? found : null;
        },
        'the cards',
      );
      const staging = (await cards[1].findElement(byTestId('version')).getText()).split('\n')[0].trim();
      const production = (await cards[2].findElement(byTestId('version')).getText()).split('\n')[0].trim();
      header = { versions, current, candidate, staging, production };
      (await waitFor(driver, async () => (await driver.findElements(byTestId('gate-review')))[0], 'Review')).click();
      await waitFor(driver, async () => textOf(driver, byTestId('review-candidate')), 'the review again');
      if (candidate === staging) break;
    }
    assert.equal(
      header.versions?.replace(/\s+/g, ' ').trim(),
      `production ${header.current} → ${header.candidate} · from staging`,
      `the review header: ${header.versions}`,
    );
    assert.equal(header.current, header.production, 'the left side is what production runs');
    assert.equal(header.candidate, header.staging, 'the right side is what staging runs');
    const approve = await waitFor(
      driver,
      async () => {
        const button = (await driver.findElements(byTestId('approve')))[0];
        return button && (await button.isEnabled()) ? button : null;
      },
      'Approve enabled for the required reviewer',
    );
    await driver.findElement(byTestId('review-comment')).sendKeys('Checked the release notes; ship it.');
    await approve.click();
    // The confirmation is armed only after a moment: a double click cannot approve.
    const confirm = await enabled(driver, byTestId('confirm-approve-button'), 'the confirmation step');
    await confirm.click();
  });

  it('follows production until every replica is ready', async () => {
    const outcome = await waitFor(
      driver,
      async () => {
        const found = await driver.findElements(byTestId('outcome'));
        return found.length > 0 ? found[0] : null;
      },
      'the promotion outcome',
      ROLLOUT_TIMEOUT_MS,
    );
    const text = await outcome.getText();
    assert.equal(await outcome.getAttribute('data-result'), 'succeeded', `outcome: ${text}`);
    const ready = await textOf(driver, byTestId('follow-ready'));
    const match = /(\d+)\/(\d+) ready/.exec(ready ?? '');
    assert.ok(match, `ready count shown: ${ready}`);
    assert.equal(match[1], match[2], `all replicas ready: ${ready}`);
    assert.ok(Number(match[2]) >= 3, `production runs at least 3 replicas: ${ready}`);

    // The pipeline shows production on the staging version, healthy.
    await driver.findElement(byTestId('nav-pipeline')).click();
    await waitFor(
      driver,
      async () => {
        const cards = await driver.findElements(byTestId('environment-card'));
        if (cards.length !== 3) return null;
        const staging = await cards[1].findElement(byTestId('version')).getText();
        const production = await cards[2].findElement(byTestId('version')).getText();
        const health = await cards[2].findElement(byTestId('health')).getText();
        return staging.split('\n')[0] === production.split('\n')[0] && /healthy/i.test(health);
      },
      'production on the staging version and healthy',
    );
  });

  it('records the approval in the audit journal', async () => {
    await driver.findElement(byTestId('nav-audit')).click();
    const row = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('audit-attempt')))[0],
      'an audit entry',
    );
    const text = await row.getText();
    assert.match(text, /alice-approver/, text);
    assert.match(text, /production/, text);
    assert.match(text, /succeeded/i, text);
  });

  it('replays the promotion: the progress bar passes 50 % and 100 %', async () => {
    const replay = await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('audit-replay')))[0],
      'Replay on the approval',
    );
    await replay.click();
    // "12.3 s / 12.3 s": the position is the recording's end.
    const AT_END = /^([\d.]+) s \/ \1 s$/;
    const atEnd = async () => AT_END.test((await textOf(driver, byTestId('replay-time'))) ?? '');
    // It plays at once; once it has ended, Play plays it again from the start, at 1×.
    await waitFor(driver, atEnd, 'the first playing to end', ROLLOUT_TIMEOUT_MS);
    await driver.findElement(byTestId('replay-speed-1')).click();
    // Sampled in the page as it plays, every few ms: the recording lasts as long as the rollout
    // did at the world's speed (a second or two), and a WebDriver round trip per sample could
    // step over its middle on a loaded machine.
    await driver.manage().setTimeouts({ script: ROLLOUT_TIMEOUT_MS });
    const { seen, done } = await driver.executeAsyncScript(
      `const [limitMs, endPattern, finish] = arguments;
      const seen = [];
      const started = Date.now();
      const atEnd = () => new RegExp(endPattern).test(document.querySelector('[data-testid="replay-time"]')?.textContent ?? '');
      const sample = () => {
        const bar = document.querySelector('[data-testid="replay-focus"] [role="progressbar"]');
        const now = bar && { value: Number(bar.getAttribute('aria-valuenow')), label: bar.getAttribute('aria-label') };
        const last = seen.at(-1);
        if (now && !(last && last.value === now.value && last.label === now.label)) seen.push(now);
        if (atEnd()) finish({ seen, done: true });
        else if (Date.now() - started > limitMs) finish({ seen, done: false });
        else setTimeout(sample, 5);
      };
      // Play starts again from the start once the first playing has ended.
      document.querySelector('[data-testid="replay-play"]').click();
      setTimeout(sample, 0);`,
      ROLLOUT_TIMEOUT_MS - 5_000,
      AT_END.source,
    );
    assert.ok(done, `the replay reached its end: ${JSON.stringify(seen.slice(-3))}`);
    const rolling = seen.filter((s) => s.label.startsWith('Rollout'));
    assert.ok(
      rolling.some((s) => s.value < 50) && rolling.some((s) => s.value >= 50 && s.value < 100),
      `the rollout passed 50 %: ${JSON.stringify(rolling)}`,
    );
    const bar = await driver.findElement(By.css('[data-testid="replay-focus"] [role="progressbar"]'));
    const last = { value: Number(await bar.getAttribute('aria-valuenow')), label: await bar.getAttribute('aria-label') };
    assert.deepEqual(last, { value: 100, label: 'Ready replicas in production' }, 'it ends on every replica ready');
    const focus = await driver.findElement(byTestId('replay-focus')).getText();
    await driver.findElement(byTestId('exit-replay')).click();
    await driver.findElement(byTestId('nav-pipeline')).click();
    const cards = await waitFor(
      driver,
      async () => {
        const found = await driver.findElements(byTestId('environment-card'));
        return found.length === 3 ? found : null;
      },
      'the pipeline again',
    );
    const production = (await cards[2].findElement(byTestId('version')).getText()).split('\n')[0].trim();
    assert.ok(focus.includes(production), `the replay ends on what production runs (${production}): ${focus}`);
  });

  it('keeps the token out of the webview, the files and the logs', async () => {
    const readable = await driver.executeScript(`
      const storage = (s) => Object.keys(s).map((k) => k + '=' + s.getItem(k)).join('\\n');
      return [
        document.documentElement.outerHTML,
        storage(window.localStorage),
        storage(window.sessionStorage),
        document.cookie,
        document.title,
      ].join('\\n');
    `);
    assert.ok(readable.includes('alice-approver'), 'the page was read while signed in');
    assert.ok(!readable.includes(canary), 'the token is readable in the webview');

    const { home } = app;
    await app.quit();
    const output = app.output();
    app = undefined;
    // The search means something only if the session left logs and a journal behind.
    assert.ok(filesContaining(home, 'starting Sluice').length > 0, 'the app wrote its log under its home');
    assert.ok(filesContaining(home, 'alice-approver').length > 0, 'the journal is under the app home');
    assert.deepEqual(filesContaining(home, canary), [], 'files under the app home hold the token');
    assert.ok(!output.includes(canary), 'the token appears in the app output');
  });
});
