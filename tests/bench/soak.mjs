// Whole-app figures of issue #15 on the built-in demo world, each against its goal: cold start to
// the first complete pipeline on screen, the footprint of the app with its WebKit processes, and
// a soak at 60× (SOAK_MINUTES, default 32: a warm-up, then one simulated day) for growth in memory, file
// descriptors and threads. A plain script (not node:test): it prints figures, it does not assert.
//
// Environment: SLUICE_APP, SLUICE_PIPELINE (as for the e2e tests), SOAK_MINUTES (32),
// SOAK_WARMUP_MINUTES (8: the demo world fills five minutes of watch history first). Needs an X
// display and a session bus: `make soak`.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { APP, PIPELINE, RENDER_TIMEOUT_MS, appPid, byTestId, descendants, launchApp, procStat, sleep, waitFor } from '../e2e/harness.mjs';

const SOAK_MINUTES = Number(process.env.SOAK_MINUTES || 32);
const WARMUP_MINUTES = Number(process.env.SOAK_WARMUP_MINUTES || 8);
const LAUNCHES = 3;
const POLL_MS = 50;
const FOOTPRINT_AFTER_MS = 45_000;
const SAMPLE_MS = 30_000;
const SPEED = 60;
if (!(WARMUP_MINUTES >= 0 && SOAK_MINUTES > WARMUP_MINUTES)) {
  throw new Error(`SOAK_MINUTES (${SOAK_MINUTES}) must be more than SOAK_WARMUP_MINUTES (${WARMUP_MINUTES})`);
}
const GOAL = { coldStartS: 1.5, pssMiB: 200, sluiceGrowthPct: 5, webkitGrowthPct: 10 };

// A signal would end node without its 'exit' event, the one on which the harness stops every
// tauri-driver group (and with it the app) it started.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, () => process.exit(130));

const verdict = (ok) => (ok ? 'met' : 'NOT met');
const mib = (kb) => (kb / 1024).toFixed(1);
const pct = (from, to) => ((to - from) / from) * 100;
const signedPct = (p) => `${p >= 0 ? '+' : ''}${p.toFixed(1)} %`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
/** When `pid` started, in ms since the epoch: its start in ticks since boot against the uptime now. */
function startedAt(pid) {
  const ticks = Number(procStat(pid)[21]);
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - (uptime - ticks / CLK_TCK) * 1000;
}

/** Memory (kB), open file descriptors and threads of one process. */
function usage({ pid, name }) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(rollup)[1]);
  return {
    pid,
    name,
    rss: kb('Rss'),
    pss: kb('Pss'),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    tasks: readdirSync(`/proc/${pid}/task`).length,
  };
}

/** The app and everything it started (WebKitWebProcess, WebKitNetworkProcess, …). */
const appProcesses = (pid) => [{ pid, name: 'sluice' }, ...descendants(pid)].map(usage);

// What the e2e tests look for, in one script so that a poll costs one round trip: each
// environment card's version, a short SHA once something is deployed there; and each card's last
// deploy, its time by the demo world's clock and how long ago that was by the same clock.
const SCREEN = `
  const cards = [...document.querySelectorAll('[data-testid="environment-card"]')];
  return {
    versions: cards.map((c) => c.querySelector('[data-testid="version"]')?.textContent.trim() ?? null),
    deployed: [...document.querySelectorAll('[data-testid="last-deployed"] time')].map((t) => [t.dateTime, t.textContent]),
  };`;
const complete = ({ versions }) => versions.length > 0 && versions.every((v) => /[0-9a-f]{7}/.test(v ?? ''));
const UNIT_MS = { min: 60_000, h: 3_600_000, d: 86_400_000 };
/** The demo world's clock as the cards show it: a deploy's time plus its "N min ago" (to the unit below). */
function demoClock({ deployed }) {
  return Math.max(
    ...deployed.map(([at, ago]) => {
      const [, n, unit] = /(\d+) (min|h|d) ago/.exec(ago) ?? [null, 0, 'min']; // "just now"
      return Date.parse(at) + n * UNIT_MS[unit];
    }),
  );
}

const build = APP.includes('/release/') ? 'release' : APP.includes('/debug/') ? 'debug' : 'unknown';
console.log(
  `Sluice whole-app soak (#15): ${build} build ${APP}, ${new Date().toISOString()}, ` +
    `${cpus().length} CPUs at load ${loadavg()[0].toFixed(1)}; SOAK_MINUTES=${SOAK_MINUTES} SOAK_WARMUP_MINUTES=${WARMUP_MINUTES}`,
);

let app;
try {
  // 1. Cold start: from the app process's start (not the harness's, which adds tauri-driver's)
  // to the first poll that finds every card with a version. Each launch has a fresh home.
  console.log(`\nCold start → first complete pipeline on screen (DOM polled every ${POLL_MS} ms over WebDriver)`);
  const coldStarts = [];
  for (let launch = 1; launch <= LAUNCHES; launch += 1) {
    await app?.quit();
    app = undefined;
    app = await launchApp({ args: ['--pipeline', PIPELINE], env: { GH_TOKEN: '', GITHUB_TOKEN: '' } });
    const started = startedAt(appPid(app));
    let polls = 0;
    let screen;
    do {
      if (polls > 0) await sleep(POLL_MS);
      if (Date.now() - started > RENDER_TIMEOUT_MS) throw new Error(`no complete pipeline after ${RENDER_TIMEOUT_MS} ms`);
      screen = await app.driver.executeScript(SCREEN);
      polls += 1;
    } while (!complete(screen));
    const seconds = (Date.now() - started) / 1000;
    coldStarts.push(seconds);
    // Found by the first poll, it may have been complete earlier: the figure is then only a bound.
    const bound = polls === 1 ? ' (complete at the first poll: an upper bound)' : '';
    console.log(`  launch ${launch}: ${seconds.toFixed(2)} s, ${screen.versions.length} cards ${screen.versions.join(' ')}${bound}`);
  }
  const coldMedian = median(coldStarts);
  console.log(`  median ${coldMedian.toFixed(2)} s — goal ≤ ${GOAL.coldStartS} s: ${verdict(coldMedian <= GOAL.coldStartS)}`);

  // 2. Footprint: the last launch after 45 s of the demo at 1×.
  const pid = appPid(app);
  await (await waitFor(app.driver, async () => (await app.driver.findElements(byTestId('demo-speed-1')))[0], 'the demo speed')).click();
  await sleep(FOOTPRINT_AFTER_MS);
  console.log(`\nWhole-app footprint after ${FOOTPRINT_AFTER_MS / 1000} s of the demo at 1× (/proc/<pid>/smaps_rollup, MiB)`);
  const footprint = appProcesses(pid);
  for (const p of footprint) {
    console.log(`  ${p.name.padEnd(22)} pid ${String(p.pid).padEnd(8)} RSS ${mib(p.rss).padStart(7)}  PSS ${mib(p.pss).padStart(7)}`);
  }
  const sum = (list, key) => list.reduce((total, p) => total + p[key], 0);
  const totalPss = sum(footprint, 'pss');
  console.log(`  ${'total'.padEnd(35)} RSS ${mib(sum(footprint, 'rss')).padStart(7)}  PSS ${mib(totalPss).padStart(7)}`);
  // RSS counts shared pages once per process; PSS shares them out, so only PSS adds up.
  console.log(`  whole-app PSS ${mib(totalPss)} MiB — goal ≤ ${GOAL.pssMiB} MiB: ${verdict(totalPss / 1024 <= GOAL.pssMiB)}`);

  // 3. Soak at 60×: a sample every 30 s from the switch, growth judged from the first sample after warm-up.
  await app.driver.findElement(byTestId('demo-speed-60')).click();
  await waitFor(
    app.driver,
    async () => (await app.driver.findElement(byTestId('demo-speed-60')).getAttribute('aria-pressed')) === 'true',
    'the demo at 60×',
  );
  const switched = Date.now();
  console.log(
    `\nSoak at ${SPEED}× for ${SOAK_MINUTES} min (${SOAK_MINUTES} h of demo time), warm-up ${WARMUP_MINUTES} min, ` +
      `a sample every ${SAMPLE_MS / 1000} s; RSS/PSS in MiB, fds, tasks; * = warm-up`,
  );
  const samples = [];
  let names;
  for (let n = 0; n * SAMPLE_MS <= SOAK_MINUTES * 60_000; n += 1) {
    await sleep(switched + n * SAMPLE_MS - Date.now());
    const minutes = (Date.now() - switched) / 60_000;
    const byName = Object.fromEntries(appProcesses(pid).map((p) => [p.name, p]));
    if (!names) {
      names = Object.keys(byName);
      console.log(`  ${'min'.padStart(5)}  ${names.map((name) => name.replace(/^WebKit/, '').padEnd(26)).join('')}`);
    }
    const warmup = minutes < WARMUP_MINUTES - 0.01;
    samples.push({ minutes, warmup, byName, screen: await app.driver.executeScript(SCREEN) });
    const cell = (p) => (p ? `${mib(p.rss)}/${mib(p.pss)} ${p.fds} ${p.tasks}` : 'gone').padEnd(26);
    console.log(`  ${minutes.toFixed(1).padStart(5)}${warmup ? '*' : ' '} ${names.map((name) => cell(byName[name])).join('')}`);
  }

  const judged = samples.filter((s) => !s.warmup);
  const [first, last] = [judged[0], judged.at(-1)];
  console.log(`  judged: ${judged.length} samples from ${first.minutes.toFixed(1)} to ${last.minutes.toFixed(1)} min`);
  for (const name of names) {
    const series = judged.map((s) => s.byName[name]);
    // A process replaced (another pid) or gone is a finding of its own, not growth.
    if (series.some((p) => !p || p.pid !== series[0].pid)) {
      console.log(`  ${name}: gone or restarted during the soak — NOT met`);
      continue;
    }
    const goal = name === 'sluice' ? GOAL.sluiceGrowthPct : name.startsWith('WebKit') ? GOAL.webkitGrowthPct : null;
    const growth = pct(series[0].rss, series.at(-1).rss);
    const maxGrowth = pct(series[0].rss, Math.max(...series.map((p) => p.rss)));
    const rssLine = `RSS ${mib(series[0].rss)} → ${mib(series.at(-1).rss)} MiB ${signedPct(growth)} (max ${signedPct(maxGrowth)})`;
    console.log(`  ${name}: ${rssLine}${goal === null ? '' : ` — goal ≤ ${goal} %: ${verdict(growth <= goal)}`}`);
    // Connections and worker threads come and go between samples (±2 fds): the last sample
    // against the first would judge that noise. A leak raises the ceiling, so the highest of the
    // last few samples is held against the highest of the first few.
    const few = Math.min(5, Math.ceil(series.length / 3));
    for (const key of ['fds', 'tasks']) {
      const [from, to] = [series.slice(0, few), series.slice(-few)].map((part) => Math.max(...part.map((p) => p[key])));
      console.log(
        `  ${name}: ${key} ${series[0][key]} → ${series.at(-1)[key]}, highest of the first ${few} samples ${from}, ` +
          `of the last ${few} ${to} — goal no growth: ${verdict(to <= from)}`,
      );
    }
  }

  // A soak of a frozen app proves nothing: the demo clock must have run at 60× after warm-up (read
  // then, as the last deploy before the switch can be a day old: "1 d ago") and what the cards
  // show must have kept changing.
  const advancedH = (demoClock(last.screen) - demoClock(first.screen)) / 3_600_000;
  const expectedH = ((last.minutes - first.minutes) * SPEED) / 60;
  const changes = samples.filter((s, i) => i > 0 && s.screen.versions.join() !== samples[i - 1].screen.versions.join()).length;
  const iso = (ms) => new Date(ms).toISOString().slice(0, 16);
  console.log(
    `  demo moving: its clock (a card's last deploy + "N min ago") ${iso(demoClock(first.screen))} → ` +
      `${iso(demoClock(last.screen))}, +${advancedH.toFixed(1)} h in ${expectedH.toFixed(1)} h at ${SPEED}×; the versions ` +
      `shown changed between ${changes} of ${samples.length - 1} samples (${samples[0].screen.versions.join(' ')} → ` +
      `${last.screen.versions.join(' ')}) — goal clock ≥ 75 % of that and changes in half the samples: ` +
      verdict(advancedH >= 0.75 * expectedH && changes >= (samples.length - 1) / 2),
  );
} finally {
  await app?.quit();
}
