// The window benchmark (#15): how long a Snapshot takes from the console to the window's DOM,
// in the real app under Xvfb, at the demo size and at 30 environments × 500 workloads × 10 pods.
// The window times each Snapshot it receives (ui/src/lib/snapshot-timing.ts): sent by the
// console → received by the webview → in the DOM. This script reads those timings over WebDriver.
//
// Environment: SLUICE_APP, SLUICE_PIPELINE (as the e2e suite); WINDOW_SECONDS (default 60) per
// measurement; WINDOW_SIZES (default "demo,30x500x10"); WINDOW_SHOTS, a folder for a screenshot
// of each screen measured at scale (to look at what the numbers are about). The large world is the live bench's
// (`cargo bench -p sluice-console --bench live` with SLUICE_LIVE_BENCH_WORLD), served in its own
// process; changes are image updates by kubectl, as a person or a CI job would make them.
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { By } from 'selenium-webdriver';
import { byTestId, launchApp, PIPELINE, scratch, sleep, waitFor } from '../e2e/harness.mjs';

const SECONDS = Number(process.env.WINDOW_SECONDS ?? 60);
const SIZES = (process.env.WINDOW_SIZES ?? 'demo,30x500x10').split(',');
const SHOTS = process.env.WINDOW_SHOTS;

async function shot(driver, name) {
  if (SHOTS) writeFileSync(join(SHOTS, `${name}.png`), await driver.takeScreenshot(), 'base64');
}
/** One frame at 60 Hz: a Snapshot shown within it never makes the window skip a frame. */
const FRAME_MS = 1000 / 60;


function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const timings = (driver) => driver.executeScript('return window.sluiceSnapshotTimings ? [...window.sluiceSnapshotTimings()] : []');

/** Timings of the Snapshots that arrive while `during` runs. */
async function measure(driver, label, during) {
  const before = await timings(driver);
  const after = before.at(-1)?.sequence ?? -1;
  await during();
  const taken = (await timings(driver)).filter((t) => t.sequence > after);
  const total = taken.map((t) => t.domAt - t.sentAt);
  const render = taken.map((t) => t.domAt - t.receivedAt);
  const p = (v, q) => percentile(v, q).toFixed(1);
  console.log(
    `${label}: ${taken.length} Snapshots; sent -> DOM p50 ${p(total, 50)} ms, p99 ${p(total, 99)} ms ` +
      `(received -> DOM p50 ${p(render, 50)}, p99 ${p(render, 99)}); target p99 <= one frame (${FRAME_MS.toFixed(1)} ms): ` +
      `${taken.length > 0 && percentile(total, 99) <= FRAME_MS ? 'met' : 'NOT met'}`,
  );
  return taken.length;
}

async function cardsHealthy(driver, count, timeout) {
  await waitFor(
    driver,
    async () => {
      const cards = await driver.findElements(By.css('[data-testid="environment-card"][data-health="healthy"]'));
      return cards.length === count;
    },
    `${count} healthy environment cards`,
    timeout,
  );
}

async function demo() {
  const app = await launchApp({ args: ['--pipeline', PIPELINE], env: { GH_TOKEN: '', GITHUB_TOKEN: '' } });
  try {
    const { driver } = app;
    await cardsHealthy(driver, 3, 60_000);
    // At 60x the demo's story moves: rollouts, pods turning over, gates opening.
    await driver.findElement(byTestId('demo-speed-60')).click();
    await measure(driver, `demo (3 environments), pipeline view, ${SECONDS} s at 60x`, () => sleep(SECONDS * 1000));
  } finally {
    await app.quit();
  }
}

/** The live bench's world of `size`, serving in its own process until stopped. */
async function benchWorld(size) {
  const dir = scratch('window-world');
  const child = spawn('cargo', ['bench', '-p', 'sluice-console', '--bench', 'live'], {
    env: { ...process.env, SLUICE_LIVE_BENCH_WORLD: size, SLUICE_LIVE_BENCH_DIR: dir },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const githubUrl = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      output += d;
      const ready = /^READY (\S+) /m.exec(output);
      if (ready) resolve(ready[1]);
    });
    child.once('exit', (code) => reject(new Error(`the bench world exited with ${code}:\n${output}`)));
  });
  return {
    dir,
    githubUrl,
    kubeconfig: join(dir, 'kubeconfig'),
    stop: () => child.stdin.end(),
  };
}

async function large(size) {
  const [environments] = size.split('x').map(Number);
  const started = Date.now();
  const world = await benchWorld(size);
  console.log(`world ${size} ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const app = await launchApp({
    args: ['--pipeline', join(world.dir, 'pipeline.yaml'), '--kubeconfig', world.kubeconfig, '--github-api-url', world.githubUrl],
    env: { GH_TOKEN: '', GITHUB_TOKEN: '' },
  });
  try {
    const { driver } = app;
    const shown = Date.now();
    await cardsHealthy(driver, environments, 300_000);
    console.log(`${size}: every card healthy ${((Date.now() - shown) / 1000).toFixed(1)} s after the window opened`);
    // One image update to one Deployment of the first environment every 500 ms.
    let n = 0;
    const changes = async () => {
      const until = Date.now() + SECONDS * 1000;
      while (Date.now() < until) {
        n += 1;
        execFileSync(process.env.SLUICE_KUBECTL ?? 'kubectl', [
          '--kubeconfig', world.kubeconfig, '--context', 'bench', '-n', 'env-00',
          'set', 'image', 'deployment/svc-000', `app=ghcr.io/tbyte-org/svc-000:window-${n}`,
        ], { stdio: 'ignore' });
        await sleep(500);
      }
    };
    await measure(driver, `${size}, pipeline view, one change every 500 ms for ${SECONDS} s`, changes);
    await shot(driver, `window-${size}-pipeline`);
    await driver.findElement(By.css('[data-testid="environment-open"][data-environment="env-00"]')).click();
    await waitFor(driver, async () => (await driver.findElements(byTestId('pod-row'))).length > 0, 'the pods of env-00');
    await measure(driver, `${size}, env-00's detail (its 5 000 pods), one change every 500 ms for ${SECONDS} s`, changes);
    await shot(driver, `window-${size}-detail`);
  } finally {
    await app.quit();
    world.stop();
  }
}

const build = /\/release\//.test(process.env.SLUICE_APP ?? '') ? 'release' : 'debug';
console.log(`Sluice window benchmark (${build} build of the app), ${new Date().toISOString().slice(0, 10)}`);
for (const size of SIZES) {
  if (size === 'demo') await demo();
  else await large(size);
}
