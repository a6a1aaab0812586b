import type { Backend } from '../lib/backend/backend';
import type { Environment, Pipeline, UiError } from '../lib/bindings';

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
    ...rest,
  };
}

export function tbytePipeline(): Pipeline {
  return {
    app: 'tbyte',
    sourceFile: 'environments/pipeline.yaml',
    github: { owner: 'tbyte-org', name: 'tbyte-microservices', apiUrl: null },
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

/** A Backend whose answers the test controls. */
export function fakeBackend(loadPipeline: () => Promise<Pipeline>): Backend {
  return { loadPipeline };
}

export const validationError: UiError = {
  code: 'config_invalid',
  message: 'environments/pipeline.yaml:12:5: unknown key `namspace`',
  hint: 'did you mean `namespace`?',
};
