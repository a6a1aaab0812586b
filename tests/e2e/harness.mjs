// What every end-to-end scenario needs: the real app launched through its own tauri-driver
// (so each session gets its own environment: home directory, GH_TOKEN), a standalone simulated
// world (`sluice sim`) when the scenario needs one, and waiting for what is on screen.
//
// Environment (set by tests/scripts/e2e.sh):
//   SLUICE_APP       the built `sluice` binary
//   SLUICE_PIPELINE  the shipped pipeline file
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Builder, By } from 'selenium-webdriver';

export const APP = process.env.SLUICE_APP;
export const PIPELINE = process.env.SLUICE_PIPELINE;
export const RENDER_TIMEOUT_MS = 30_000;

export function scratch(name) {
  return mkdtempSync(join(tmpdir(), `sluice-e2e-${name}-`));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, log) {
  for (let i = 0; i < 200; i += 1) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited early:\n${log()}`);
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port}:\n${log()}`);
}

/** Stops a child with SIGTERM and waits for it to exit. */
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/** Whether any process of the group led by `pid` is still alive. */
function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/** tauri-driver process groups not yet stopped; ended with the test process in any case. */
const driverGroups = new Set();
process.once('exit', () => {
  for (const pid of driverGroups) signalGroup(pid, 'SIGKILL');
});

/**
 * Ends tauri-driver and everything it started. WebKitWebDriver kills the app only when it tears
 * its session down, which can lose the race with tauri-driver's own exit: the app then lives on,
 * orphaned, holding the driver's output pipes and with them this test process (seen in CI as a
 * file that passed every test and then timed out). So the whole process group is stopped, and
 * whatever ignores SIGTERM for 10 s is killed.
 */
async function stopDriverGroup(child) {
  signalGroup(child.pid, 'SIGTERM');
  await stop(child);
  for (let waited = 0; groupAlive(child.pid) && waited < 10_000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
  }
  signalGroup(child.pid, 'SIGKILL');
  driverGroups.delete(child.pid);
  child.stdout.destroy();
  child.stderr.destroy();
}

/**
 * The app in a private home (so its journal, logs and keychain use are the scenario's own),
 * driven over WebDriver. `env` adds to the environment (e.g. GH_TOKEN).
 */
export async function launchApp({ args = [], env = {}, home = scratch('home') } = {}) {
  if (!APP) throw new Error('set SLUICE_APP to the path of the built sluice binary');
  const port = await freePort();
  const nativePort = await freePort();
  const dirs = {
    HOME: home,
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DOWNLOAD_DIR: join(home, 'Downloads'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  let output = '';
  const driverProcess = spawn(
    'tauri-driver',
    ['--port', String(port), '--native-port', String(nativePort), '--native-driver', '/usr/bin/WebKitWebDriver'],
    // Its own process group, so that stopping it reaches WebKitWebDriver and the app too.
    { env: { ...process.env, ...dirs, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  driverGroups.add(driverProcess.pid);
  driverProcess.stdout.on('data', (d) => (output += d));
  driverProcess.stderr.on('data', (d) => (output += d));
  await waitForPort(port, driverProcess, () => output);
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}`)
    .withCapabilities({ browserName: 'wry', 'tauri:options': { application: APP, args } })
    .build();
  return {
    driver,
    home,
    /** The tauri-driver process: the app runs below it (see appPid). */
    driverPid: driverProcess.pid,
    /** Everything the app and its driver printed (the app's stderr log included). */
    output: () => output,
    async quit() {
      try {
        // A session that does not end within a minute must not hold the run: stopping the
        // driver's process group below ends the app too.
        await Promise.race([driver.quit(), new Promise((resolve) => setTimeout(resolve, 60_000).unref())]);
      } finally {
        await stopDriverGroup(driverProcess);
      }
    },
  };
}

/**
 * A standalone simulated world: its kubeconfig, GitHub URL and the people's tokens. `args` adds
 * to `sluice sim`'s (e.g. a fault).
 */
export async function startSim({ pipeline = PIPELINE, speed = 1, args = [] } = {}) {
  const dir = scratch('sim');
  const kubeconfig = join(dir, 'kubeconfig');
  const tokens = join(dir, 'tokens.json');
  const child = spawn(
    APP,
    [
      '--pipeline',
      pipeline,
      'sim',
      '--kubeconfig',
      kubeconfig,
      '--github-tokens',
      tokens,
      '--speed',
      String(speed),
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } },
  );
  let output = '';
  const github = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sluice sim did not start:\n${output}`)), 60_000);
    child.stdout.on('data', (d) => {
      output += d;
      const match = /^github: (\S+)$/m.exec(output);
      if (match && output.includes('kubeconfig:')) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr.on('data', (d) => (output += d));
    child.once('exit', (code) => reject(new Error(`sluice sim exited with ${code}:\n${output}`)));
  });
  return {
    github,
    kubeconfig,
    tokens: JSON.parse(readFileSync(tokens, 'utf8')),
    stop: () => stop(child),
  };
}

/**
 * The shipped pipeline without the clock-dependent gate conditions (soak, change windows,
 * freezes), so the approval scenario does not depend on the day it runs.
 */
export function clockFreePipeline() {
  const dir = scratch('pipeline');
  const source = dirname(PIPELINE);
  for (const name of readdirSync(source)) {
    if (name.endsWith('.yaml') && statSync(join(source, name)).isFile()) copyFileSync(join(source, name), join(dir, name));
  }
  const lines = readFileSync(PIPELINE, 'utf8').split('\n');
  const kept = [];
  let skipping = false;
  for (const line of lines) {
    if (/^ {6}(changeWindows|freezes):/.test(line)) skipping = true;
    else if (skipping && !/^ {8}/.test(line)) skipping = false;
    if (!skipping && !/^ {6}soak:/.test(line)) kept.push(line);
  }
  const path = join(dir, 'pipeline.yaml');
  writeFileSync(path, kept.join('\n'));
  return path;
}

/**
 * The fields of /proc/<pid>/stat, `fields[n - 1]` being proc(5)'s field n: fields[1] the name
 * (without its parentheses), fields[3] the parent, fields[21] the start in clock ticks since boot.
 */
export function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The name is in parentheses and may itself hold spaces and parentheses.
  const close = stat.lastIndexOf(')');
  return [stat.slice(0, stat.indexOf(' (')), stat.slice(stat.indexOf('(') + 1, close), ...stat.slice(close + 2).trim().split(' ')];
}

/**
 * Every process below `root`, parents before children, each with its parent and its program's
 * name (from the command line: the kernel's name stops at 15 characters, WebKitWebProces).
 */
export function descendants(root) {
  const all = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(procStat(entry)[3]);
      const argv0 = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0];
      all.push({ pid: Number(entry), ppid, name: argv0.split('/').pop() || procStat(entry)[1] });
    } catch {
      // it exited while we looked
    }
  }
  const found = [];
  const below = (pid) => {
    for (const child of all.filter((p) => p.ppid === pid)) {
      found.push(child);
      below(child.pid);
    }
  };
  below(root);
  return found;
}

/** The app's process: the `sluice` that tauri-driver (through WebKitWebDriver) started. */
export function appPid(app) {
  const found = descendants(app.driverPid).find((p) => p.name === 'sluice');
  if (!found) throw new Error(`no sluice process below tauri-driver ${app.driverPid}`);
  return found.pid;
}

export const byTestId = (id) => By.css(`[data-testid="${id}"]`);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `find` returns something truthy, failing at once if the app shows an error panel. */
export async function waitFor(driver, find, message, timeout = RENDER_TIMEOUT_MS) {
  return driver.wait(
    async () => {
      try {
        return (await find()) || null;
      } catch (error) {
        // An element found a moment ago may have been re-rendered since (a new Snapshot):
        // WebKitWebDriver then says stale or, through a script, no such element. Look again.
        if (error?.name === 'StaleElementReferenceError' || error?.name === 'NoSuchElementError') return null;
        throw error;
      }
    },
    timeout,
    message,
  );
}

/** Opens the review of the gate into production once a deploy run waits on it. */
export async function openWaitingReview(driver, timeout = 60_000) {
  const review = await waitFor(
    driver,
    async () => {
      const waiting = await driver.findElements(byTestId('gate-waiting'));
      const buttons = await driver.findElements(byTestId('gate-review'));
      return waiting.length > 0 && buttons.length > 0 ? buttons[0] : null;
    },
    'a deploy run waiting on production',
    timeout,
  );
  await review.click();
}

/** The first element matching `locator` once it is enabled (armed confirmation buttons). */
export async function enabled(driver, locator, message, timeout = RENDER_TIMEOUT_MS) {
  return waitFor(
    driver,
    async () => {
      const found = (await driver.findElements(locator))[0];
      return found && (await found.isEnabled()) ? found : null;
    },
    message,
    timeout,
  );
}

/** The visible text of the first element matching `locator`, or null. */
export async function textOf(driver, locator) {
  const found = await driver.findElements(locator);
  return found.length > 0 ? found[0].getText() : null;
}

/** Every file below `dir` whose bytes contain `needle`. */
export function filesContaining(dir, needle) {
  const hits = [];
  const walk = (path) => {
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        try {
          if (readFileSync(full).includes(needle)) hits.push(full);
        } catch {
          // unreadable sockets and the like hold no secrets of ours
        }
      }
    }
  };
  walk(dir);
  return hits;
}
