import type { Backend } from '../lib/backend/backend';
import type {
  Account,
  Attempt,
  AttemptFilter,
  AuditEntry,
  ChainReport,
  DeviceCode,
  Environment,
  EnvironmentState,
  GateCondition,
  GateState,
  HelmPreview,
  History,
  InboxItem,
  LinkDecision,
  Metrics,
  Outcome,
  Pipeline,
  PodState,
  ProgressLine,
  Refusal,
  Replay,
  Review,
  RollbackPlan,
  SessionInfo,
  Snapshot,
  ValueEntry,
  SourceState,
  UiError,
  Verification,
  WaitingRun,
  Workload,
} from '../lib/bindings';

function environment(
  name: string,
  replicas: number,
  values: { cpu: string; memory: string; host: string; database: string | null },
  rest: Pick<Environment, 'trigger' | 'gate'> & Partial<Environment>,
): Environment {
  return {
    name,
    kubeContext: 'kind-tbyte',
    namespace: name,
    release: `tbyte-${name === 'production' ? 'prod' : name}`,
    valuesFile: `environments/values-${name === 'production' ? 'prod' : name}.yaml`,
    replicas,
    shownValues: [
      { label: 'CPU request', key: 'resources.requests.cpu', value: values.cpu },
      { label: 'Memory request', key: 'resources.requests.memory', value: values.memory },
      { label: 'Ingress host', key: 'ingress.host', value: values.host },
      { label: 'Database', key: 'database.instance', value: values.database },
    ],
    verify: null,
    ...rest,
  };
}

export function tbytePipeline(): Pipeline {
  return {
    app: 'tbyte',
    sourceFile: 'environments/pipeline.yaml',
    github: { owner: 'tbyte-org', name: 'tbyte-microservices', apiUrl: null, directory: 'environments' },
    imageTagKey: 'image.tag',
    helm: { binary: 'helm', timeoutSeconds: 600, atomic: false },
    environments: [
      environment(
        'dev',
        1,
        { cpu: '50m', memory: '64Mi', host: 'dev.tbyte.local', database: 'db.t3.micro' },
        { trigger: { kind: 'pull-request' }, gate: null },
      ),
      environment(
        'staging',
        2,
        { cpu: '100m', memory: '128Mi', host: 'staging.tbyte.local', database: null },
        { trigger: { kind: 'merge', branch: 'main' }, gate: null },
      ),
      environment(
        'production',
        3,
        { cpu: '200m', memory: '256Mi', host: 'tbyte.local', database: 'db.t3.medium' },
        {
          kubeContext: 'prod-eks',
          trigger: { kind: 'promotion', from: 'staging' },
          gate: {
            method: 'github-approval',
            workflow: null,
            approval: {
              reviewers: { users: ['alice'], teams: ['tbyte-org/production-approvers'] },
              preventSelfReview: true,
              required: 1,
            },
            soak: '24h',
            requiredChecks: ['ci / test', 'smoke'],
            changeWindows: [
              { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '16:00', timezone: 'UTC' },
            ],
            freezes: [{ start: '2026-12-20T00:00:00Z', end: '2027-01-04T09:00:00Z', reason: 'Year-end freeze' }],
            overrideBy: { users: [], teams: ['tbyte-org/sre'] },
          },
        },
      ),
    ],
  };
}

/**
 * The live side of a fake Backend: the test decides what `getSnapshot`
 * answers and pushes Snapshots to whoever listens.
 */
export class FakeLive {
  /** What `getSnapshot` resolves to. */
  current: Snapshot | null;
  /** When set, `getSnapshot` rejects with it. */
  failure: unknown = null;
  readonly listeners = new Set<(snapshot: Snapshot) => void>();
  subscribeCalls = 0;
  unsubscribeCalls = 0;

  constructor(current: Snapshot | null = null) {
    this.current = current;
  }

  /** Publishes a Snapshot, as the console does on every change. */
  push(snapshot: Snapshot): void {
    this.current = snapshot;
    for (const listener of this.listeners) listener(snapshot);
  }

  getSnapshot = async (): Promise<Snapshot | null> => {
    if (this.failure !== null) throw this.failure;
    return this.current;
  };

  readonly verificationListeners = new Set<(verifications: Verification[]) => void>();

  /** Publishes each environment's verification, as the console does whenever one changes. */
  pushVerifications(verifications: Verification[]): void {
    for (const listener of this.verificationListeners) listener(verifications);
  }

  onVerifications = async (listener: (verifications: Verification[]) => void): Promise<() => void> => {
    this.verificationListeners.add(listener);
    return () => this.verificationListeners.delete(listener);
  };

  onSnapshot = async (listener: (snapshot: Snapshot) => void): Promise<() => void> => {
    this.subscribeCalls += 1;
    this.listeners.add(listener);
    return () => {
      this.unsubscribeCalls += 1;
      this.listeners.delete(listener);
    };
  };
}

/** A signed-in account as the console describes it. */
export function account(login = 'alice-approver', rest: Partial<Account> = {}): Account {
  return {
    login,
    name: null,
    tokenHome: 'the Secret Service keyring',
    sessionOnly: false,
    source: 'keychain',
    why: 'Using the token kept in the Secret Service keyring: no GH_TOKEN or GITHUB_TOKEN is set.',
    ...rest,
  };
}

/** The session of a console on real clusters, nobody signed in. */
export function sessionInfo(rest: Partial<SessionInfo> = {}): SessionInfo {
  return {
    demo: false,
    demoSpeed: null,
    demoPeople: [],
    account: null,
    identityNote: null,
    keychain: { name: 'the Secret Service keyring', available: true, problem: null },
    environmentToken: null,
    deviceFlow: true,
    githubHost: 'api.github.com',
    pipelineFile: 'environments/pipeline.yaml',
    kubeconfig: null,
    contexts: [
      { environment: 'dev', kubeContext: 'kind-tbyte', pipelineContext: 'kind-tbyte', namespace: 'dev', found: true },
      {
        environment: 'staging',
        kubeContext: 'kind-tbyte',
        pipelineContext: 'kind-tbyte',
        namespace: 'staging',
        found: true,
      },
      {
        environment: 'production',
        kubeContext: 'prod-eks',
        pipelineContext: 'prod-eks',
        namespace: 'production',
        found: true,
      },
    ],
    kubeContexts: ['kind-tbyte', 'prod-eks', 'prod-eks-admin'],
    contextsEditable: true,
    contextsProblem: null,
    interrupted: [],
    journalProblems: [],
    ...rest,
  };
}

/**
 * The session side of a fake Backend: every call is recorded in `calls`
 * (name and arguments); answers come from the fields, which tests change.
 * Set `failure` to make the next call reject with it (only the next call named `failing`, when set).
 */
export class FakeDesk {
  session: SessionInfo = sessionInfo();
  /** The review of each environment when no run is asked for. */
  reviews = new Map<string, Review>();
  /** The review of a particular waiting run, by run id. */
  runReviews = new Map<number, Review>();
  outcome: Outcome = { result: 'succeeded', message: 'production runs e4f5a6b', running: 'e4f5a6b', rollback: null };
  /** Each environment's history, by name. */
  histories = new Map<string, History>();
  /** Recorded rollouts, by attempt. */
  replays = new Map<string, Replay>();
  /** Rollback plans, by `environment@revision`. */
  plans = new Map<string, RollbackPlan>();
  /** What `metrics` answers, whatever the period. */
  metricsAnswer: Metrics | null = null;
  /** The journal as the console groups it, newest first. */
  attempts: Attempt[] = [];
  /** What `verifyAudit` answers: an intact journal whose head is anchored, by default. */
  chain: ChainReport = {
    lines: 2,
    chained: 2,
    legacy: 0,
    head: { state: 'anchored', line: 2 },
    breaks: [],
    moreBreaks: 0,
  };
  /** Helm values per environment, flattened. */
  values = new Map<string, ValueEntry[]>();
  deviceCode: DeviceCode = {
    userCode: 'WDJB-MJHT',
    verificationUri: 'https://github.com/login/device',
    browserOpened: true,
  };
  /** Hosts whose links the console asks about before opening them. */
  askBeforeOpening = new Set<string>();
  /** Rejects the next call with this, then clears. */
  failure: unknown = null;
  failing: string | null = null;
  readonly calls: { name: string; args: unknown[] }[] = [];
  /** Who listens to the progress lines of running promotions (see `progress`). */
  readonly progressListeners = new Set<(line: ProgressLine) => void>();
  progressUnsubscribeCalls = 0;

  /** A line printed by the tool of a running promotion or rollback, as the console emits it. */
  progress(environment: string, line: string): void {
    for (const listener of this.progressListeners) listener({ environment, line });
  }

  private record<T>(name: string, args: unknown[], answer: () => T): Promise<T> {
    this.calls.push({ name, args });
    if (this.failure !== null && (this.failing === null || this.failing === name)) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    return Promise.resolve(answer());
  }

  callsTo(name: string): unknown[][] {
    return this.calls.filter((c) => c.name === name).map((c) => c.args);
  }

  backend(): Omit<Backend, 'loadPipeline' | 'getSnapshot' | 'onSnapshot' | 'onVerifications'> {
    const session = () => this.session;
    return {
      environmentValues: (environment) =>
        this.record('environmentValues', [environment], () => this.values.get(environment) ?? []),
      getSession: () => this.record('getSession', [], session),
      signInWithToken: (token, sessionOnly) =>
        this.record('signInWithToken', [token, sessionOnly], () => {
          this.session = { ...this.session, account: account('alice-approver', { sessionOnly }) };
          return this.session;
        }),
      signInFromEnvironment: (sessionOnly) =>
        this.record('signInFromEnvironment', [sessionOnly], () => {
          this.session = { ...this.session, account: account('alice-approver', { sessionOnly }) };
          return this.session;
        }),
      startDeviceSignIn: () => this.record('startDeviceSignIn', [], () => this.deviceCode),
      finishDeviceSignIn: (sessionOnly) =>
        this.record('finishDeviceSignIn', [sessionOnly], () => {
          this.session = { ...this.session, account: account('alice-approver', { sessionOnly }) };
          return this.session;
        }),
      cancelDeviceSignIn: () => this.record('cancelDeviceSignIn', [], () => undefined),
      setKubeContext: (environment, context) =>
        this.record('setKubeContext', [environment, context], () => {
          this.session = {
            ...this.session,
            contexts: this.session.contexts.map((c) =>
              c.environment === environment ? { ...c, kubeContext: context ?? c.pipelineContext } : c,
            ),
          };
          return this.session;
        }),
      signInAsDemoPerson: (login) =>
        this.record('signInAsDemoPerson', [login], () => {
          this.session = {
            ...this.session,
            account: account(login, {
              tokenHome: 'the demo world',
              sessionOnly: true,
              source: 'demo',
              why: `Acting as @${login}, a person of the demo world.`,
            }),
          };
          return this.session;
        }),
      signOut: () =>
        this.record('signOut', [], () => {
          this.session = { ...this.session, account: null };
          return this.session;
        }),
      setDemo: (on) =>
        this.record('setDemo', [on], () => {
          this.session = { ...this.session, demo: on, demoSpeed: on ? 1 : null };
          return this.session;
        }),
      setDemoSpeed: (speed) =>
        this.record('setDemoSpeed', [speed], () => {
          this.session = { ...this.session, demoSpeed: speed };
          return this.session;
        }),
      review: (environment, runId) =>
        this.record('review', [environment, runId], () => {
          const review = (runId !== null ? this.runReviews.get(runId) : undefined) ?? this.reviews.get(environment);
          if (!review) throw new Error(`no review for ${environment} in the fake`);
          return review;
        }),
      act: (request) => this.record('act', [request], () => this.outcome),
      rollback: (environment, to) => this.record('rollback', [environment, to], () => this.outcome),
      history: (environment) =>
        this.record('history', [environment], () => {
          const history = this.histories.get(environment);
          if (!history) throw new Error(`no history for ${environment} in the fake`);
          return history;
        }),
      replay: (correlation) =>
        this.record('replay', [correlation], () => {
          const replay = this.replays.get(correlation);
          if (!replay) throw new Error(`no replay of ${correlation} in the fake`);
          return replay;
        }),
      rollbackPlan: (environment, revision) =>
        this.record('rollbackPlan', [environment, revision], () => {
          const plan = this.plans.get(`${environment}@${revision}`);
          if (!plan) throw new Error(`no rollback plan for ${environment}@${revision} in the fake`);
          return plan;
        }),
      metrics: (days) =>
        this.record('metrics', [days], () => {
          if (!this.metricsAnswer) throw new Error('no metrics in the fake');
          return this.metricsAnswer;
        }),
      audit: (filter) => this.record('audit', [filter], () => fakeAuditFilter(this.attempts, filter)),
      verifyAudit: () => this.record('verifyAudit', [], () => this.chain),
      exportAudit: (format) =>
        this.record('exportAudit', [format], () => ({
          path: `/home/alice/Downloads/sluice-audit.${format}`,
          entries: this.attempts.reduce((sum, attempt) => sum + attempt.entries.length, 0),
        })),
      exportEvidence: (attempt) =>
        this.record('exportEvidence', [attempt], () => ({
          correlation: attempt,
          html: `/home/alice/Downloads/sluice-evidence-production-${attempt}.html`,
          json: `/home/alice/Downloads/sluice-evidence-production-${attempt}.json`,
          sha256: '5e'.repeat(32),
        })),
      openEvidence: (path) => this.record('openEvidence', [path], () => undefined),
      openUrl: (url, confirmed) =>
        this.record('openUrl', [url, confirmed], (): LinkDecision => {
          const host = new URL(url).hostname;
          return !confirmed && this.askBeforeOpening.has(host) ? { kind: 'confirm', host } : { kind: 'open' };
        }),
      setAttention: (count) => this.record('setAttention', [count], () => undefined),
      notify: (title, body) => this.record('notify', [title, body], () => undefined),
      setFullscreen: (on) => this.record('setFullscreen', [on], () => undefined),
      onProgress: async (listener) => {
        this.progressListeners.add(listener);
        return () => {
          this.progressUnsubscribeCalls += 1;
          this.progressListeners.delete(listener);
        };
      },
    };
  }
}

/**
 * A stand-in for the console's audit filter, enough for the view's tests (the rule itself is
 * the console's, tested in Rust): exact environment, person and result; every search word
 * somewhere in the attempt.
 */
function fakeAuditFilter(attempts: Attempt[], filter: AttemptFilter): Attempt[] {
  const words = (filter.search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return attempts.filter(
    (attempt) =>
      (filter.environment === null || attempt.environment === filter.environment) &&
      (filter.person === null || attempt.actor === filter.person) &&
      (filter.result === null || attempt.result === filter.result) &&
      words.every((word) => JSON.stringify(attempt).toLowerCase().includes(word)),
  );
}

/** A Backend whose answers the test controls. */
export function fakeBackend(
  loadPipeline: () => Promise<Pipeline>,
  live: FakeLive = new FakeLive(),
  desk: FakeDesk = new FakeDesk(),
): Backend {
  return {
    loadPipeline,
    getSnapshot: live.getSnapshot,
    onSnapshot: live.onSnapshot,
    onVerifications: live.onVerifications,
    ...desk.backend(),
  };
}

const MINUTE = 60_000;

/** An RFC 3339 time `minutes` before now. */
export function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * MINUTE).toISOString();
}

export function pod(name: string, rest: Partial<PodState> = {}): PodState {
  return {
    name,
    replicaSet: null,
    phase: 'Running',
    ready: true,
    restarts: 0,
    reason: null,
    message: null,
    createdAt: null,
    ...rest,
  };
}

export function workload(ready: number, desired: number, rest: Partial<Workload> = {}): Workload {
  return {
    name: 'api',
    component: 'api',
    desired,
    updated: desired,
    ready,
    available: ready,
    restarts: 0,
    images: [],
    revision: '1',
    conditions: [],
    replicaSets: [],
    pods: [],
    ...rest,
  };
}

/** A healthy environment running `label`, with its replicas ready. */
export function environmentState(
  name: string,
  label: string,
  replicas: number,
  rest: Partial<EnvironmentState> = {},
): EnvironmentState {
  const release = `tbyte-${name === 'production' ? 'prod' : name}`;
  return {
    name,
    namespace: name,
    version: {
      sha: `${label}0000000000000000000000000000000`,
      label,
      images: [],
      appVersion: null,
      pullRequest: null,
      title: `Release ${label}`,
    },
    health: 'healthy',
    healthReason: '',
    workloads: [workload(replicas, replicas, { name: `${release}-api` })],
    rollout: null,
    helmHistory: [
      {
        revision: 4,
        status: 'deployed',
        chart: 'tbyte-0.1.0',
        appVersion: label,
        description: 'Upgrade complete',
        deployedAt: minutesAgo(20),
        images: [],
      },
    ],
    lastDeployed: { at: minutesAgo(20), approvedBy: 'alice', deployedBy: 'GitHub Actions' },
    runningSince: { at: minutesAgo(19), evidence: `${release}-api finished rolling out` },
    deployedValues: null,
    drift: null,
    warnings: [],
    warningsLeftOut: 0,
    stale: false,
    problems: [],
    ...rest,
  };
}

/** A 40-character commit id that starts with `label`, as the fixtures' versions have. */
export function fullSha(label: string): string {
  return label.padEnd(40, '0');
}

/** The commits from aaa1111 to bbb2222, oldest first. */
function pendingCommits() {
  return [
    { sha: fullSha('bbb2220'), title: 'Bump deps', author: 'bob' },
    { sha: fullSha('bbb2221'), title: 'Fix typo', author: 'carol' },
    { sha: fullSha('bbb2222'), title: 'Add retries', author: 'bob' },
  ];
}

const PULL_REQUEST_42 = { number: 42, title: 'Add retries', url: 'https://github.com/acme/app/pull/42' };

/** Checks passed; the soak is not over (an override may set it aside). */
function soakingConditions(): GateCondition[] {
  return [
    { kind: 'checks', met: true, reason: 'ci / test and smoke passed on bbb2222', overridable: false },
    { kind: 'soak', met: false, reason: 'bbb2222 has run 3h in staging; 24h required', overridable: true },
  ];
}

function metConditions(): GateCondition[] {
  return [
    { kind: 'checks', met: true, reason: 'ci / test and smoke passed on bbb2222', overridable: false },
    { kind: 'soak', met: true, reason: 'bbb2222 has run 26h in staging', overridable: false },
  ];
}

/** A deploy run waiting on production for bbb2222, what staging runs. */
export function waitingRun(rest: Partial<WaitingRun> = {}): WaitingRun {
  return {
    runId: 77,
    sha: fullSha('bbb2222'),
    label: 'bbb2222',
    actor: 'bob',
    currentUserCanApprove: true,
    shipsSourceVersion: true,
    commits: pendingCommits(),
    pullRequests: [PULL_REQUEST_42],
    conditions: soakingConditions(),
    quorum: null,
    ...rest,
  };
}

/** The gate into production: staging's bbb2222 is 3 commits ahead and still soaking. */
export function productionGate(rest: Partial<GateState> = {}): GateState {
  return {
    environment: 'production',
    from: 'staging',
    status: 'blocked',
    statusLabel: 'blocked',
    pending: {
      currentVersion: 'aaa1111',
      incomingVersion: 'bbb2222',
      commits: pendingCommits(),
      pullRequests: [PULL_REQUEST_42],
      imageChanges: [],
      imageProblems: [],
    },
    conditions: soakingConditions(),
    waitingRuns: [],
    quorum: null,
    ledger: [],
    ...rest,
  };
}

/** What waits on the viewer at the production gate, as the console words it. */
export function inboxItem(rest: Partial<InboxItem> = {}): InboxItem {
  return {
    id: 'production:run:77',
    environment: 'production',
    from: 'staging',
    currentVersion: 'aaa1111',
    incomingVersion: 'bbb2222',
    commits: 3,
    pullRequests: 1,
    why: 'waiting-run',
    runId: 77,
    actor: 'bob',
    approvals: null,
    notification: {
      title: 'Waiting on you: production',
      body: 'Promote bbb2222 from staging to production (3 commits), started by @bob.',
    },
    ...rest,
  };
}

export function kubernetesSource(context: string, rest: Partial<SourceState> = {}): SourceState {
  return {
    name: `kubernetes (${context})`,
    kind: 'kubernetes',
    connected: true,
    synced: true,
    lastEventAt: minutesAgo(1),
    lastError: null,
    rateRemaining: null,
    ...rest,
  };
}

/** The tbyte pipeline live: production on aaa1111, staging and dev on bbb2222, all healthy. */
export function tbyteSnapshot(sequence = 1): Snapshot {
  return {
    sequence,
    generatedAt: new Date().toISOString(),
    environments: [
      environmentState('dev', 'bbb2222', 1),
      environmentState('staging', 'bbb2222', 2),
      environmentState('production', 'aaa1111', 3),
    ],
    gates: [productionGate()],
    viewer: null,
    inbox: [],
    lastKnown: null,
    sources: [
      kubernetesSource('kind-tbyte'),
      kubernetesSource('prod-eks'),
      {
        name: 'github (tbyte-org/tbyte-microservices)',
        kind: 'github',
        connected: true,
        synced: true,
        lastEventAt: minutesAgo(2),
        lastError: null,
        rateRemaining: 4990,
      },
    ],
    pullRequests: [
      {
        number: 43,
        title: 'Faster startup',
        author: 'dave',
        headSha: 'ccc3333',
        url: 'https://github.com/acme/app/pull/43',
        checks: 'pending',
        deployedTo: 'dev',
      },
      {
        number: 41,
        title: 'Dark mode',
        author: 'erin',
        headSha: 'ddd4444',
        url: 'https://github.com/acme/app/pull/41',
        checks: 'failure',
        deployedTo: null,
      },
    ],
  };
}

/** `snapshot` with the environment `name` replaced by `change(old)`. */
export function withEnvironment(
  snapshot: Snapshot,
  name: string,
  change: (state: EnvironmentState) => EnvironmentState,
): Snapshot {
  return {
    ...snapshot,
    environments: snapshot.environments.map((state) => (state.name === name ? change(state) : state)),
  };
}

export const validationError: UiError = {
  code: 'config_invalid',
  message: 'environments/pipeline.yaml:12:5: unknown key `namspace`',
  hint: 'did you mean `namespace`?',
};

/** One audit journal entry: by default alice's approval of production, succeeded, its own attempt. */
export function auditEntry(rest: Partial<AuditEntry> = {}): AuditEntry {
  const id = rest.id ?? 'entry-1';
  return {
    id,
    at: '2026-05-04T10:30:00Z',
    correlation: id,
    actor: 'alice',
    environment: 'production',
    fromVersion: 'aaa1111',
    toVersion: 'bbb2222',
    method: 'github-approval',
    action: 'approve',
    plan: null,
    gates: [],
    comment: null,
    overrideReason: null,
    result: 'succeeded',
    error: null,
    runId: null,
    sha: null,
    shipped: null,
    revision: null,
    ...rest,
  };
}

/**
 * A small journal, in the order it was written: alice's production promotion
 * (started, then succeeded), bob refused on production, carol's staging
 * rollback that failed, and dave's production promotion that never finished.
 */
export function auditJournal(): AuditEntry[] {
  return [
    auditEntry({ id: 'a1', at: '2026-05-04T09:00:00Z', result: 'started', comment: 'Ship retries' }),
    auditEntry({ id: 'a2', correlation: 'a1', at: '2026-05-04T09:04:00Z', comment: 'Ship retries' }),
    auditEntry({
      id: 'b1',
      at: '2026-05-04T10:00:00Z',
      actor: 'bob',
      result: 'refused',
      error: {
        code: 'not_a_reviewer',
        message: '@bob is not a required reviewer of production',
        hint: 'Ask @alice or a member of tbyte-org/production-approvers.',
      },
    }),
    auditEntry({
      id: 'c1',
      at: '2026-05-04T11:00:00Z',
      actor: 'carol',
      environment: 'staging',
      method: 'rollback',
      action: 'rollback',
      fromVersion: 'bbb2222',
      toVersion: 'aaa1111',
      result: 'started',
    }),
    auditEntry({
      id: 'c2',
      correlation: 'c1',
      at: '2026-05-04T11:02:00Z',
      actor: 'carol',
      environment: 'staging',
      method: 'rollback',
      action: 'rollback',
      fromVersion: 'bbb2222',
      toVersion: 'aaa1111',
      result: 'failed',
      error: { code: 'rollout_failed', message: 'api: 0/2 ready after 5m', hint: 'Look at the pods in staging.' },
    }),
    auditEntry({
      id: 'd1',
      at: '2026-05-04T12:00:00Z',
      actor: 'dave',
      method: 'kubernetes',
      action: 'override',
      overrideReason: 'Hotfix for the outage',
      result: 'started',
    }),
  ];
}

/**
 * `auditJournal()` as the console groups it into attempts: newest attempt first, each
 * attempt's outcome above its `started` entry.
 */
export function auditAttempts(): Attempt[] {
  const [a1, a2, b1, c1, c2, d1] = auditJournal() as [
    AuditEntry,
    AuditEntry,
    AuditEntry,
    AuditEntry,
    AuditEntry,
    AuditEntry,
  ];
  const attempt = (entries: AuditEntry[], result: Attempt['result'], unfinished = false): Attempt => ({
    correlation: entries[entries.length - 1]!.id,
    entries,
    result,
    unfinished,
    latestAt: entries[0]!.at,
    environment: entries[0]!.environment,
    actor: entries[0]!.actor,
    replayable: false,
  });
  return [
    attempt([d1], 'started', true),
    attempt([c2, c1], 'failed'),
    attempt([b1], 'refused'),
    attempt([a2, a1], 'succeeded'),
  ];
}

export function refusal(kind: Refusal['kind'], sentence: string, condition: Refusal['condition'] = null): Refusal {
  return { kind, condition, sentence };
}

const SOAK_REFUSAL = refusal(
  'override-by-others',
  'bbb2222 has run 3h in staging; 24h required (only @tbyte-org/sre may override it)',
  'soak',
);

/**
 * What the console answers `review('production', null)` with for the tbyte snapshot: no
 * deploy run waits, so nobody may approve (the soak is not over either) or reject.
 */
export function reviewFixture(rest: Partial<Review> = {}): Review {
  return {
    environment: 'production',
    from: 'staging',
    method: 'github-approval',
    currentVersion: 'aaa1111',
    sourceVersion: 'bbb2222',
    candidate: { sha: fullSha('bbb2222'), label: 'bbb2222', runId: null, shipsSourceVersion: true },
    waitingRuns: [],
    warnings: [],
    notes: {
      heading: 'tbyte: production aaa1111 → bbb2222 (from staging)',
      pullRequests: [PULL_REQUEST_42],
      commits: pendingCommits(),
      empty: false,
      markdown: [
        '## tbyte: production aaa1111 → bbb2222 (from staging)',
        '',
        '### Pull requests',
        '- Add retries ([#42](https://github.com/acme/app/pull/42))',
        '',
        '### Commits',
        '- `bbb2220` Bump deps (@bob)',
        '- `bbb2221` Fix typo (@carol)',
        '- `bbb2222` Add retries (@bob)',
        '',
      ].join('\n'),
    },
    imageChanges: [],
    helm: null,
    values: {
      before: 'production as deployed (Helm revision 4)',
      after: 'values-prod.yaml at bbb2222, image.tag = bbb2222',
      changes: [{ key: 'image.tag', from: 'aaa1111', to: 'bbb2222' }],
      chart: null,
      notes: [],
    },
    conditions: soakingConditions(),
    decision: {
      approve: {
        allowed: false,
        refusals: [
          refusal('no-waiting-run', 'No deploy run waits on production yet: there is nothing to approve.'),
          SOAK_REFUSAL,
        ],
      },
      reject: {
        allowed: false,
        refusals: [refusal('no-waiting-run', 'No deploy run waits on production yet: there is nothing to reject.')],
      },
      mayOverride: false,
      overridden: [],
      mayComment: false,
      vote: null,
    },
    quorum: null,
    reviewers: { users: ['alice'], teams: ['tbyte-org/production-approvers'] },
    overrideBy: { users: [], teams: ['tbyte-org/sre'] },
    pin: { runId: null, sha: fullSha('bbb2222'), images: [], chart: null },
    ...rest,
  };
}

/** A review the signed-in person may approve or reject: run #77 waits for bbb2222, every condition met. */
export function approvableReview(rest: Partial<Review> = {}): Review {
  const run = waitingRun({ conditions: metConditions() });
  return reviewFixture({
    candidate: { sha: run.sha, label: run.label, runId: run.runId, shipsSourceVersion: true },
    waitingRuns: [run],
    conditions: metConditions(),
    decision: {
      approve: { allowed: true, refusals: [] },
      reject: { allowed: true, refusals: [] },
      mayOverride: false,
      overridden: [],
      mayComment: true,
      vote: null,
    },
    pin: { runId: run.runId, sha: run.sha, images: [], chart: null },
    ...rest,
  });
}

/** A review where only the soak stands in the way, and the person may override it with a reason. */
export function overridableReview(rest: Partial<Review> = {}): Review {
  const run = waitingRun();
  return reviewFixture({
    candidate: { sha: run.sha, label: run.label, runId: run.runId, shipsSourceVersion: true },
    waitingRuns: [run],
    decision: {
      approve: {
        allowed: false,
        refusals: [
          refusal(
            'override-needs-reason',
            'bbb2222 has run 3h in staging; 24h required (you may override this with a reason)',
            'soak',
          ),
        ],
      },
      reject: { allowed: true, refusals: [] },
      mayOverride: true,
      overridden: [],
      mayComment: true,
      vote: null,
    },
    pin: { runId: run.runId, sha: run.sha, images: [], chart: null },
    ...rest,
  });
}

/**
 * What the console's `helm` method previews for production: `helm upgrade` would change the
 * api Deployment's image and add a ConfigMap.
 */
export function helmPreview(rest: Partial<HelmPreview> = {}): HelmPreview {
  return {
    chart: 'tbyte-microservices-0.3.0',
    command:
      'helm upgrade tbyte-prod /tmp/sluice-chart/tbyte-microservices-0.3.0.tgz --kube-context prod-eks ' +
      '--namespace production --values environments/values-prod.yaml --set image.tag=bbb2222 --wait --timeout 600s',
    changes: [
      {
        kind: 'Deployment',
        name: 'tbyte-prod-api',
        change: 'changed',
        diff: [
          '--- now',
          '+++ after',
          '@@ -18,7 +18,7 @@',
          '     spec:',
          '       containers:',
          '         - name: api',
          '-          image: ghcr.io/tbyte/api:aaa1111',
          '+          image: ghcr.io/tbyte/api:bbb2222',
          '           ports:',
          '             - containerPort: 8080',
          '',
        ].join('\n'),
      },
      {
        kind: 'ConfigMap',
        name: 'tbyte-prod-flags',
        change: 'added',
        diff: ['--- now', '+++ after', '@@ -0,0 +1,4 @@', '+apiVersion: v1', '+kind: ConfigMap', '+metadata:', '+  name: tbyte-prod-flags', ''].join(
          '\n',
        ),
      },
    ],
    images: [],
    problem: null,
    ...rest,
  };
}

/** Production verifying a release, 40 s of 60 s held with every check met, as the console publishes it. */
export function verification(rest: Partial<Verification> = {}): Verification {
  return {
    id: '18a2f-1c2-1',
    environment: 'production',
    version: 'b7e4c1d',
    forSeconds: 60,
    heldSeconds: 40,
    checks: [
      { name: 'restarts', holding: true, detail: '' },
      { name: 'readiness', holding: true, detail: '' },
      { name: 'crash-looping', holding: true, detail: '' },
      { name: 'warnings', holding: true, detail: '' },
    ],
    onFailure: 'rollback',
    state: { phase: 'verifying' },
    summary: 'Verifying b7e4c1d in production: held 40 s of 60 s',
    notification: null,
    // As the console keeps it: under way while settling, verifying or rolling back.
    running: ['settling', 'verifying', 'rolling-back'].includes((rest.state ?? { phase: 'verifying' }).phase),
    ...rest,
  };
}

/** The same verification after its pods crashed and Sluice rolled production back. */
export function rolledBackVerification(rest: Partial<Verification> = {}): Verification {
  const reason = 'tbyte-prod-api restarted 1 time(s); tbyte-prod-api-6d9f-x2 is crash-looping';
  return verification({
    heldSeconds: 23,
    checks: [
      { name: 'restarts', holding: false, detail: 'tbyte-prod-api restarted 1 time(s)' },
      { name: 'readiness', holding: true, detail: '' },
      { name: 'crash-looping', holding: false, detail: 'tbyte-prod-api-6d9f-x2 is crash-looping' },
      { name: 'warnings', holding: true, detail: '' },
    ],
    state: { phase: 'rolled-back', reason, to: 'a1f9e20' },
    summary: `Verification of b7e4c1d in production failed: ${reason} — rolled back to a1f9e20`,
    notification: {
      title: 'production rolled back: verification failed',
      body: `b7e4c1d did not hold: ${reason}. Sluice rolled back to a1f9e20.`,
    },
    ...rest,
  });
}
