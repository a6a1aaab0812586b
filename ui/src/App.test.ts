import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import type { Pipeline } from './lib/bindings';
import { fakeBackend, tbytePipeline, validationError } from './test/fixtures';

function renderWith(loadPipeline: () => Promise<Pipeline>) {
  return render(App, { props: { backend: fakeBackend(loadPipeline) } });
}

function card(name: string): HTMLElement {
  const element = screen
    .getAllByTestId('environment-card')
    .find((candidate) => candidate.dataset.environment === name);
  if (!element) throw new Error(`no card for ${name}`);
  return element;
}

/** The <dd> paired with the <dt> labelled `label` inside `scope`. */
function valueOf(scope: HTMLElement, label: string): string {
  const term = within(scope).getByText(label, { selector: 'dt' });
  return term.nextElementSibling?.textContent?.trim() ?? '';
}

describe('pipeline view', () => {
  it('shows the pipeline header', async () => {
    renderWith(async () => tbytePipeline());

    expect(await screen.findByRole('heading', { level: 1, name: 'tbyte' })).toBeInTheDocument();
    expect(screen.getByText('tbyte-org/tbyte-microservices')).toBeInTheDocument();
    expect(screen.getByText('environments/pipeline.yaml')).toBeInTheDocument();
  });

  it('renders the environments in the order given, with their values', async () => {
    renderWith(async () => tbytePipeline());

    const cards = await screen.findAllByTestId('environment-card');
    expect(cards.map((c) => c.dataset.environment)).toEqual(['dev', 'staging', 'production']);
    expect(cards.map((c) => within(c).getByRole('heading').textContent)).toEqual([
      'dev',
      'staging',
      'production',
    ]);
    expect(screen.getByText('Pull requests')).toBeInTheDocument();

    const dev = card('dev');
    expect(within(dev).getByText('from pull requests')).toBeInTheDocument();
    expect(valueOf(dev, 'Namespace')).toBe('dev');
    expect(valueOf(dev, 'Kube context')).toBe('kind-tbyte');
    expect(valueOf(dev, 'Helm release')).toBe('tbyte-dev');
    expect(valueOf(dev, 'Values file')).toBe('environments/values-dev.yaml');
    expect(valueOf(dev, 'Replicas')).toBe('1');
    expect(valueOf(dev, 'CPU request')).toBe('50m');
    expect(valueOf(dev, 'Memory request')).toBe('64Mi');
    expect(valueOf(dev, 'Ingress host')).toBe('dev.tbyte.local');
    expect(valueOf(dev, 'Database')).toBe('db.t3.micro');

    const staging = card('staging');
    expect(within(staging).getByText('on merge to main')).toBeInTheDocument();
    expect(valueOf(staging, 'Replicas')).toBe('2');
    expect(valueOf(staging, 'CPU request')).toBe('100m');
    expect(valueOf(staging, 'Ingress host')).toBe('staging.tbyte.local');
    expect(valueOf(staging, 'Database')).toBe('—');

    const production = card('production');
    expect(within(production).getByText('promoted from staging')).toBeInTheDocument();
    expect(valueOf(production, 'Kube context')).toBe('prod-eks');
    expect(valueOf(production, 'Helm release')).toBe('tbyte-prod');
    expect(valueOf(production, 'Replicas')).toBe('3');
    expect(valueOf(production, 'Memory request')).toBe('256Mi');
    expect(valueOf(production, 'Database')).toBe('db.t3.medium');
  });

  it('renders whatever environments the data holds, not a fixed set', async () => {
    const pipeline = tbytePipeline();
    const [dev] = pipeline.environments;
    pipeline.environments = [{ ...dev!, name: 'qa', namespace: 'qa-ns', shownValues: [] }];
    renderWith(async () => pipeline);

    const cards = await screen.findAllByTestId('environment-card');
    expect(cards).toHaveLength(1);
    expect(valueOf(card('qa'), 'Namespace')).toBe('qa-ns');
    expect(screen.queryByTestId('gate')).not.toBeInTheDocument();
  });

  it('draws the gate before the environment it guards', async () => {
    renderWith(async () => tbytePipeline());

    const gates = await screen.findAllByTestId('gate');
    expect(gates).toHaveLength(1);
    const gate = gates[0]!;
    expect(within(gate).getByRole('heading', { name: 'Gate into production' })).toBeInTheDocument();
    expect(valueOf(gate, 'Method')).toBe('GitHub approval');
    expect(within(gate).getByText('@alice')).toBeInTheDocument();
    expect(within(gate).getByText('@tbyte-org/production-approvers')).toBeInTheDocument();
    expect(valueOf(gate, 'Self-review')).toBe('prevented');
    expect(valueOf(gate, 'Minimum soak')).toBe('24h in staging');
    expect(within(gate).getByText('ci / test')).toBeInTheDocument();
    expect(within(gate).getByText('smoke')).toBeInTheDocument();
    expect(valueOf(gate, 'Change windows')).toBe('mon–fri 09:00–16:00 UTC');
    expect(within(gate).getByText('Year-end freeze')).toBeInTheDocument();
    expect(within(gate).getByText('2026-12-20 00:00 UTC')).toBeInTheDocument();
    expect(within(gate).getByText('2027-01-04 09:00 UTC')).toBeInTheDocument();
    expect(valueOf(gate, 'Override')).toBe('@tbyte-org/sre');

    // Document order: staging card, then the gate, then the production card.
    const staging = card('staging');
    const production = card('production');
    expect(staging.compareDocumentPosition(gate) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(gate.compareDocumentPosition(production) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('shows a loading state until the pipeline arrives', async () => {
    let resolve: (pipeline: Pipeline) => void = () => {};
    renderWith(() => new Promise<Pipeline>((r) => (resolve = r)));

    expect(screen.getByRole('status')).toHaveTextContent('Loading pipeline…');
    expect(screen.queryByTestId('environment-card')).not.toBeInTheDocument();

    resolve(tbytePipeline());
    expect(await screen.findAllByTestId('environment-card')).toHaveLength(3);
    expect(screen.queryByText('Loading pipeline…')).not.toBeInTheDocument();
  });

  it('shows the error message and hint', async () => {
    renderWith(() => Promise.reject(validationError));

    const panel = await screen.findByTestId('error');
    expect(panel).toHaveAttribute('role', 'alert');
    expect(panel).toHaveTextContent('environments/pipeline.yaml:12:5: unknown key `namspace`');
    expect(panel).toHaveTextContent('did you mean `namespace`?');
    expect(panel).toHaveTextContent('config_invalid');
    expect(screen.queryByTestId('environment-card')).not.toBeInTheDocument();
  });

  it('shows an unexpected rejection as an error too', async () => {
    renderWith(() => Promise.reject(new Error('connection reset')));

    const panel = await screen.findByTestId('error');
    expect(panel).toHaveTextContent('connection reset');
    expect(panel).toHaveTextContent('Restart Sluice');
  });

  it('loads again when asked to try again', async () => {
    let calls = 0;
    renderWith(async () => {
      calls += 1;
      if (calls === 1) throw validationError;
      return tbytePipeline();
    });

    const retry = await screen.findByRole('button', { name: 'Try again' });
    retry.click();
    expect(await screen.findAllByTestId('environment-card')).toHaveLength(3);
    expect(screen.queryByTestId('error')).not.toBeInTheDocument();
    expect(calls).toBe(2);
  });

  it('says so when the pipeline has no environments', async () => {
    renderWith(async () => ({ ...tbytePipeline(), environments: [] }));

    expect(await screen.findByRole('heading', { name: 'No environments yet' })).toBeInTheDocument();
    expect(screen.queryByTestId('environment-card')).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'tbyte' })).toBeInTheDocument();
  });
});
