// Screenshots of every view, light and dark, from the real app on the demo world, driven over
// WebDriver: `make screenshots` writes docs/screenshots/<view>-<theme>.png, and the pipeline at
// the smallest window (900×600) and presentation mode on a projector (1024×768).
//
// The demo keeps its own journal: the audit view is shot once the demo's simulated release lead
// has approved a release, so it shows what it looks like in use.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { By } from 'selenium-webdriver';
import { PIPELINE, byTestId, clockFreePipeline, enabled, launchApp, openWaitingReview, scratch, startSim, waitFor } from '../e2e/harness.mjs';

const OUT = process.argv[2] ?? 'docs/screenshots';
const THEMES = { light: 'Adwaita', dark: 'Adwaita:dark' };
// The helm the control-plane build makes; the helm method's review is shot with it.
const HELM = process.env.SLUICE_HELM;

async function shoot(driver, name, prepare = async () => {}) {
  // Let transitions and the first snapshot after a navigation settle.
  await new Promise((r) => setTimeout(r, 800));
  await prepare();
  const png = await driver.takeScreenshot();
  const path = join(OUT, `${name}.png`);
  writeFileSync(path, Buffer.from(png, 'base64'));
  console.log(`wrote ${path}`);
}

async function click(driver, locator, what) {
  const element = await waitFor(driver, async () => (await driver.findElements(locator))[0], what);
  await element.click();
}

/** Signs in as the demo's approver (Settings), then opens the production gate's review. */
async function reviewAsAlice(driver) {
  await click(driver, byTestId('nav-settings'), 'Settings');
  await click(driver, By.css('[data-testid="settings-demo-person"][data-login="alice-approver"]'), 'alice');
  await click(driver, byTestId('nav-pipeline'), 'Pipeline');
  await click(driver, byTestId('gate-review'), 'the gate review');
}

/** Approves the review on screen, through its confirmation once armed. */
async function approveShown(driver) {
  await (await enabled(driver, byTestId('approve'), 'Approve offered to alice', 60_000)).click();
  await (await enabled(driver, byTestId('confirm-approve-button'), 'the armed confirmation')).click();
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

/** The shipped pipeline with production promoted by `helm`, run by the helm at `HELM`. */
function helmPipeline() {
  const path = clockFreePipeline();
  const text = readFileSync(path, 'utf8').replace(
    /method: github-approval\n {6}workflow: deploy.yml/,
    'method: helm',
  );
  if (!text.includes('method: helm')) throw new Error('the pipeline has no github-approval gate to turn into helm');
  writeFileSync(path, `${text}\nhelm:\n  binary: ${HELM}\n  timeout: 5m\n  atomic: true\n`);
  return path;
}

/** The review of a helm promotion: the command and what it would change, rendered by helm. */
async function captureHelmReview(theme) {
  const app = await launchApp({
    args: ['--pipeline', helmPipeline()],
    env: { GTK_THEME: THEMES[theme] },
    home: scratch(`shots-helm-${theme}`),
  });
  const { driver } = app;
  try {
    await reviewAsAlice(driver);
    await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('manifest-change-toggle'))).length > 0,
      "helm's rendered changes",
      60_000,
    );
    // The Deployment's diff open: what a release manager reads before approving.
    await click(driver, By.css('[data-testid="manifest-change"][data-kind="Deployment"] button'), 'a Deployment diff');
    const section = await driver.findElement(byTestId('helm-preview'));
    await driver.executeScript('arguments[0].scrollIntoView({block: "start"})', section);
    await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('diff-line'))).length > 0,
      "the Deployment's diff",
    );
    await shoot(driver, `review-helm-${theme}`);
  } finally {
    await app.quit();
  }
}

/** The shipped pipeline with production asking two different people to approve. */
function quorumPipeline() {
  const path = clockFreePipeline();
  const text = readFileSync(path, 'utf8')
    .replace('users: [alice-approver]', 'users: [alice-approver, carol-lead]')
    .replace(/( {8})preventSelfReview: true/, '$1preventSelfReview: true\n$1required: 2');
  if (!text.includes('required: 2')) throw new Error('the pipeline has no approval to ask a quorum of');
  writeFileSync(path, text);
  return path;
}

// A quorum of two: alice's approval counted, the gate and the review saying where it stands.
async function captureQuorum(theme) {
  const app = await launchApp({
    args: ['--pipeline', quorumPipeline()],
    env: { GTK_THEME: THEMES[theme] },
    home: scratch(`shots-quorum-${theme}`),
  });
  const { driver } = app;
  try {
    await reviewAsAlice(driver);
    await approveShown(driver);
    await waitFor(
      driver,
      async () => (await driver.findElements(By.css('[data-testid="outcome"][data-result="counted"]'))).length > 0,
      "alice's approval counted",
      60_000,
    );
    await waitFor(driver, async () => (await driver.findElements(byTestId('quorum-approval'))).length > 0, 'the quorum');
    const decide = await driver.findElement(By.id('reviewers-title'));
    await driver.executeScript('arguments[0].scrollIntoView({block: "start"})', decide);
    await shoot(driver, `review-quorum-${theme}`);
    await click(driver, byTestId('nav-pipeline'), 'Pipeline');
    await waitFor(
      driver,
      async () => {
        const [gate] = await driver.findElements(byTestId('gate-quorum'));
        return gate && (await gate.getText()).startsWith('1 of 2 approvals');
      },
      'the gate saying 1 of 2',
    );
    await shoot(driver, `pipeline-quorum-${theme}`);
  } finally {
    await app.quit();
  }
}

// Production's history, scrolled into view, with a rollback to an older revision planned.
async function captureHistory(theme) {
  const home = scratch(`shots-history-${theme}`);
  const app = await launchApp({ args: ['--pipeline', PIPELINE], env: { GTK_THEME: THEMES[theme] }, home });
  const { driver } = app;
  try {
    await waitFor(
      driver,
      async () => (await driver.findElements(By.css('[data-testid="health"].health-healthy'))).length === 3,
      'three healthy environments',
    );
    await click(driver, By.css('[data-testid="environment-open"][data-environment="production"]'), 'production');
    await waitFor(driver, async () => (await driver.findElements(byTestId('detail-live'))).length > 0, 'the detail');
    // At 60×, the simulated release lead ships a release: production then has two revisions.
    await click(driver, byTestId('demo-speed-60'), '60× speed');
    await waitFor(
      driver,
      async () => {
        if ((await driver.findElements(byTestId('history-row'))).length > 1) return true;
        const refresh = await driver.findElements(byTestId('history-refresh'));
        if (refresh.length > 0 && (await refresh[0].isEnabled())) await refresh[0].click();
        await new Promise((r) => setTimeout(r, 2000));
        return null;
      },
      'a second revision in production',
      240_000,
    );
    await click(driver, byTestId('demo-speed-1'), '1× speed');
    const offered = await driver.findElements(byTestId('history-rollback'));
    if (offered.length > 0) {
      await offered[0].click();
      await waitFor(driver, async () => (await driver.findElements(byTestId('history-plan'))).length > 0, 'the plan');
    }
    const panel = await driver.findElement(byTestId('history'));
    await driver.executeScript('arguments[0].scrollIntoView({block: "start"})', panel);
    await shoot(driver, `history-${theme}`);
  } finally {
    await app.quit();
  }
}

/**
 * A promotion into a production that verifies it, on a standalone world whose new pods crash a
 * minute after they start: the verifying phase on the review screen, then the failure's banner
 * over the pipeline once Sluice rolled back.
 */
async function captureVerification(theme) {
  const pipeline = clockFreePipeline();
  const text = readFileSync(pipeline, 'utf8').replace(/\n*$/, '\n');
  writeFileSync(pipeline, `${text}    verify:\n      for: 120s\n      onFailure: rollback\n      warningReasons: [BackOff]\n`);
  const sim = await startSim({
    pipeline,
    speed: 15,
    args: ['--crash-next-rollout', 'production', '--crash-after', '900'],
  });
  const app = await launchApp({
    args: ['--pipeline', pipeline, '--kubeconfig', sim.kubeconfig, '--github-api-url', sim.github],
    env: { GTK_THEME: THEMES[theme], GH_TOKEN: sim.tokens['alice-approver'] },
    home: scratch(`shots-verification-${theme}`),
  });
  const { driver } = app;
  try {
    await waitFor(
      driver,
      async () => (await driver.findElements(By.css('[data-testid="health"].health-healthy'))).length === 3,
      'three healthy environments',
      60_000,
    );
    await openWaitingReview(driver);
    await (await enabled(driver, byTestId('approve'), 'Approve')).click();
    await (await enabled(driver, byTestId('confirm-approve-button'), 'the confirmation')).click();
    await waitFor(
      driver,
      async () => {
        const found = (await driver.findElements(By.css('[data-testid="verification"][data-phase="verifying"]')))[0];
        if (!found) return null;
        // Far enough in that the bar shows it.
        const held = Number(/held (\d+) s/.exec(await found.findElement(byTestId('verification-timer')).getText())?.[1]);
        return held >= 25 ? found : null;
      },
      'the verifying phase, 25 s in',
      240_000,
    );
    // The phase re-renders every second: scroll to the panel it is in right before the shot.
    const progress = await driver.findElement(byTestId('promotion-progress'));
    const scroll = () => driver.executeScript('arguments[0].scrollIntoView({block: "start"})', progress);
    await scroll();
    await shoot(driver, `verification-${theme}`, async () => {
      await scroll();
      await new Promise((r) => setTimeout(r, 300));
    });
    await waitFor(
      driver,
      async () => (await driver.findElements(By.css('[data-testid="verification-banner"][data-phase="rolled-back"]'))).length > 0,
      'the failure rolled back',
      240_000,
    );
    await click(driver, byTestId('nav-pipeline'), 'Pipeline');
    await waitFor(
      driver,
      async () =>
        (await driver.findElements(By.css('[data-testid="environment-card"][data-environment="production"][data-health="healthy"]')))
          .length > 0,
      'production healthy again',
      120_000,
    );
    await shoot(driver, `verification-failed-${theme}`);
  } finally {
    await app.quit();
    await sim.stop();
  }
}

// The Metrics view on the demo's six weeks of past releases (a release failed, one was rolled
// back, one needed a fix), over the last six weeks, signed in as the demo's approver.
async function captureMetrics(theme) {
  const home = scratch(`shots-metrics-${theme}`);
  const app = await launchApp({ args: ['--pipeline', PIPELINE], env: { GTK_THEME: THEMES[theme] }, home });
  const { driver } = app;
  try {
    await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('health'))).length === 3,
      'three environments with their health',
    );
    // GitHub's deployments are read as the person signed in (a few hundred requests).
    await click(driver, byTestId('nav-settings'), 'Settings');
    await click(driver, By.css('[data-testid="settings-demo-person"][data-login="alice-approver"]'), 'alice');
    await waitFor(
      driver,
      async () => (await driver.findElements(byTestId('settings-signed-in-as'))).length > 0,
      'signed in as alice',
    );
    await click(driver, byTestId('nav-metrics'), 'Metrics');
    const period = await waitFor(driver, async () => (await driver.findElements(byTestId('metrics-period')))[0], 'the period');
    await period.findElement(By.css('option[value="42"]')).click();
    await waitFor(
      driver,
      async () => {
        const failed = await driver.findElements(byTestId('metrics-error'));
        if (failed.length > 0) throw new Error(`the metrics failed: ${await failed[0].getText()}`);
        return (await driver.findElements(byTestId('failed-changes'))).length > 0;
      },
      'the metrics with their failed changes',
      60_000,
    );
    await shoot(driver, `metrics-${theme}`);
  } finally {
    await app.quit();
  }
}

// A promotion replayed from the audit view, stopped halfway through its rollout.
async function captureReplay(theme) {
  const app = await launchApp({
    args: ['--pipeline', clockFreePipeline()],
    env: { GTK_THEME: THEMES[theme] },
    home: scratch(`shots-replay-${theme}`),
  });
  const { driver } = app;
  try {
    await reviewAsAlice(driver);
    await approveShown(driver);
    await waitFor(
      driver,
      async () => (await driver.findElements(By.css('[data-testid="outcome"][data-result="succeeded"]'))).length > 0,
      'the promotion done',
      180_000,
    );
    await click(driver, byTestId('nav-audit'), 'Audit');
    await click(driver, byTestId('audit-replay'), 'Replay');
    // Halfway through the rollout: the first moment its progress reaches a half.
    const scrubber = await waitFor(driver, async () => (await driver.findElements(byTestId('replay-scrubber')))[0], 'the scrubber');
    const max = Number(await scrubber.getAttribute('max'));
    for (let at = 0; at <= max; at += Math.max(100, Math.round(max / 200))) {
      await driver.executeScript(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
        scrubber,
        at,
      );
      const bar = await driver.findElement(By.css('[data-testid="replay-focus"] [role="progressbar"]'));
      const label = await bar.getAttribute('aria-label');
      if (label.startsWith('Rollout') && Number(await bar.getAttribute('aria-valuenow')) >= 50) break;
    }
    await shoot(driver, `replay-${theme}`);
  } finally {
    await app.quit();
  }
}

mkdirSync(OUT, { recursive: true });
// SLUICE_SHOTS=helm retakes only the helm review's shots; SLUICE_SHOTS=main (every view), history,
// quorum, metrics,
// replay or verification only that scenario's (the verifying phase's and its failure's for verification).
const ONLY = process.env.SLUICE_SHOTS ?? null;
for (const theme of Object.keys(THEMES)) {
  if (ONLY === null || ONLY === 'main') await capture(theme);
  if (ONLY === null || ONLY === 'history') await captureHistory(theme);
  if (ONLY === null || ONLY === 'quorum') await captureQuorum(theme);
  if (ONLY === null || ONLY === 'verification') await captureVerification(theme);
  if (ONLY === null || ONLY === 'metrics') await captureMetrics(theme);
  if (ONLY === null || ONLY === 'replay') await captureReplay(theme);
  if (['main', 'history', 'quorum', 'verification', 'metrics', 'replay'].includes(ONLY)) continue;
  if (HELM) await captureHelmReview(theme);
  else console.warn('SLUICE_HELM is not set: no shot of the helm review');
}
