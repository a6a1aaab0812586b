import { fireEvent, render, screen, within } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import type { Attempt, AttemptFilter } from '../bindings';
import { auditAttempts, auditEntry, FakeDesk, FakeLive, fakeBackend, tbytePipeline } from '../../test/fixtures';
import AuditView from './AuditView.svelte';
import TestHost from './audit/TestHost.svelte';

const ENVIRONMENTS = ['dev', 'staging', 'production'];

function renderAudit(desk: FakeDesk, backendOverride: Partial<ReturnType<typeof fakeBackend>> = {}) {
  const backend = { ...fakeBackend(async () => tbytePipeline(), new FakeLive(), desk), ...backendOverride };
  return render(TestHost, {
    props: {
      backend,
      component: AuditView as unknown as Component<Record<string, unknown>>,
      viewProps: { environments: ENVIRONMENTS },
    },
  });
}

function deskWith(attempts: Attempt[]): FakeDesk {
  const desk = new FakeDesk();
  desk.attempts = attempts;
  return desk;
}

const ANY: AttemptFilter = { environment: null, person: null, result: null, search: null };

function rowIds(): string[] {
  return screen.getAllByTestId('audit-row').map((row) => row.dataset.id ?? '');
}

describe('audit view', () => {
  it('shows a loading state while the journal is read', async () => {
    let answer: (attempts: Attempt[]) => void = () => {};
    renderAudit(new FakeDesk(), {
      audit: () => new Promise<Attempt[]>((resolve) => (answer = resolve)),
    });

    expect(screen.getByTestId('audit-loading')).toHaveTextContent('Reading the audit journal…');
    answer(auditAttempts());
    expect(await screen.findByTestId('audit-table')).toBeInTheDocument();
    expect(screen.queryByTestId('audit-loading')).not.toBeInTheDocument();
  });

  it('shows the attempts as the console grouped them, a start under its outcome', async () => {
    const desk = deskWith(auditAttempts());
    renderAudit(desk);

    await screen.findByTestId('audit-table');
    expect(desk.callsTo('audit')).toEqual([[ANY]]);
    expect(rowIds()).toEqual(['d1', 'c2', 'c1', 'b1', 'a2', 'a1']);
    const groups = screen.getAllByTestId('audit-attempt');
    expect(groups.map((g) => [g.dataset.correlation, g.dataset.result])).toEqual([
      ['d1', 'started'],
      ['c1', 'failed'],
      ['b1', 'refused'],
      ['a1', 'succeeded'],
    ]);
    expect(screen.getByTestId('audit-count')).toHaveTextContent('4 attempts, 6 entries');

    const failed = within(groups[1]!).getAllByTestId('audit-row')[0]!;
    expect(failed).toHaveTextContent('2026-05-04 11:02:00 UTC');
    expect(failed).toHaveTextContent('@carol');
    expect(failed).toHaveTextContent('staging');
    expect(failed).toHaveTextContent('bbb2222 → aaa1111');
    expect(failed).toHaveTextContent('roll back');
    expect(within(failed).getByTestId('audit-result')).toHaveTextContent('failed');
    expect(within(failed).getByTestId('audit-error-detail')).toHaveTextContent(
      'api: 0/2 ready after 5m Look at the pods in staging.',
    );

    const refused = within(groups[2]!).getByTestId('audit-row');
    expect(within(refused).getByTestId('audit-error-detail')).toHaveTextContent(
      '@bob is not a required reviewer of production',
    );
    expect(within(refused).getByTestId('audit-error-detail')).toHaveTextContent('Ask @alice');

    const succeeded = within(groups[3]!).getAllByTestId('audit-row')[0]!;
    expect(within(succeeded).getByTestId('audit-comment')).toHaveTextContent('Ship retries');
    expect(succeeded).toHaveTextContent('GitHub approval');
  });

  it('shows the run reviewed and what the environment ran after the attempt', async () => {
    const started = auditEntry({ id: 'g1', result: 'started', runId: 10062, toVersion: '353e6df' });
    const ended = auditEntry({ id: 'g2', correlation: 'g1', runId: 10062, toVersion: '353e6df', shipped: 'daaf471' });
    renderAudit(
      deskWith([
        { correlation: 'g1', entries: [ended, started], result: 'succeeded', unfinished: false, latestAt: ended.at, environment: 'production', actor: 'alice', replayable: false },
      ]),
    );

    const [outcomeRow, startRow] = await screen.findAllByTestId('audit-row');
    expect(within(outcomeRow!).getByTestId('audit-run')).toHaveTextContent('deploy run #10062');
    expect(within(outcomeRow!).getByTestId('audit-shipped')).toHaveTextContent('production ran daaf471 after');
    expect(within(startRow!).queryByTestId('audit-shipped')).not.toBeInTheDocument();
  });

  it('says the journal is intact, or where its chain breaks and what to do', async () => {
    const desk = deskWith(auditAttempts());
    const { unmount } = renderAudit(desk);
    expect(await screen.findByTestId('audit-chain')).toHaveTextContent(
      'Intact: 2 of 2 lines each follow the one before. It still ends with the line kept in the keychain.',
    );
    expect(screen.queryByTestId('audit-chain-broken')).not.toBeInTheDocument();
    unmount();

    const changed = 'Keep this copy as evidence.';
    desk.chain = {
      lines: 5,
      chained: 3,
      legacy: 0,
      head: { state: 'notAnchored', reason: 'no keychain' },
      breaks: [
        { line: 3, reason: 'the line it was written after is not in the journal', hint: changed },
        { line: 5, reason: 'it was written after line 1, not after line 4', hint: changed },
      ],
      moreBreaks: 0,
    };
    renderAudit(desk);
    const alert = await screen.findByTestId('audit-chain-broken');
    expect(alert).toHaveAttribute('role', 'alert');
    expect(within(alert).getAllByTestId('audit-chain-break').map((li) => li.textContent)).toEqual([
      'Line 3: the line it was written after is not in the journal',
      'Line 5: it was written after line 1, not after line 4',
    ]);
    expect(within(alert).getAllByText(changed)).toHaveLength(1);
    expect(screen.queryByTestId('audit-chain')).not.toBeInTheDocument();
  });

  it('says how an outcome recorded late was found', async () => {
    const started = auditEntry({ id: 'l1', result: 'started', toVersion: '353e6df' });
    const late = 'Recorded late, when Sluice next started: the outcome was not recorded when the attempt ended. Then production ran 353e6df, as asked: the change took effect.';
    const ended = auditEntry({ id: 'l2', correlation: 'l1', toVersion: '353e6df', shipped: '353e6df', recordedLate: late });
    renderAudit(
      deskWith([
        { correlation: 'l1', entries: [ended, started], result: 'succeeded', unfinished: false, latestAt: ended.at, environment: 'production', actor: 'alice', replayable: false },
      ]),
    );

    const [outcomeRow, startRow] = await screen.findAllByTestId('audit-row');
    expect(within(outcomeRow!).getByTestId('audit-recorded-late')).toHaveTextContent(late);
    expect(within(startRow!).queryByTestId('audit-recorded-late')).not.toBeInTheDocument();
  });

  it('shows the chart and the exact command of a helm promotion, and the revision it left deployed', async () => {
    const command =
      'helm upgrade tbyte-prod /tmp/sluice-chart/tbyte-microservices-0.3.0.tgz --kube-context prod-eks ' +
      '--namespace production --values environments/values-prod.yaml --set image.tag=bbb2222 --wait --timeout 600s';
    const plan = { commits: 3, pullRequests: [42], images: [], chart: 'tbyte-microservices-0.3.0', command };
    const started = auditEntry({ id: 'h1', method: 'helm', action: 'promote', result: 'started', plan });
    const ended = auditEntry({ id: 'h2', correlation: 'h1', method: 'helm', action: 'promote', plan, revision: 7 });
    renderAudit(
      deskWith([
        { correlation: 'h1', entries: [ended, started], result: 'succeeded', unfinished: false, latestAt: ended.at, environment: 'production', actor: 'alice', replayable: false },
        ...auditAttempts(),
      ]),
    );

    const [outcomeRow, startRow] = await screen.findAllByTestId('audit-row');
    expect(outcomeRow).toHaveTextContent('Helm upgrade');
    expect(within(outcomeRow!).getByTestId('audit-chart')).toHaveTextContent('Chart: tbyte-microservices-0.3.0');
    const shown = within(outcomeRow!).getByTestId('audit-command').querySelector('code');
    expect(shown?.textContent).toBe(command);
    expect(within(outcomeRow!).getByTestId('audit-revision')).toHaveTextContent('revision 7');
    // The start carries the plan, not yet a revision.
    expect(within(startRow!).getByTestId('audit-command')).toHaveTextContent(command);
    expect(within(startRow!).queryByTestId('audit-revision')).not.toBeInTheDocument();
    // Entries of the other methods have neither.
    const approval = screen.getAllByTestId('audit-row').find((row) => row.dataset.id === 'a2')!;
    expect(within(approval).queryByTestId('audit-command')).not.toBeInTheDocument();
    expect(within(approval).queryByTestId('audit-chart')).not.toBeInTheDocument();
    expect(within(approval).queryByTestId('audit-revision')).not.toBeInTheDocument();
  });

  it('highlights an attempt with no outcome, and one the backend marked interrupted', async () => {
    const started = auditEntry({ id: 'e1', at: '2026-05-04T13:00:00Z', result: 'started' });
    const stopped = auditEntry({ id: 'e2', correlation: 'e1', at: '2026-05-04T13:10:00Z', result: 'interrupted' });
    renderAudit(
      deskWith([
        {
          correlation: 'e1',
          entries: [stopped, started],
          result: 'interrupted',
          unfinished: true,
          latestAt: stopped.at,
          environment: 'production',
          actor: 'alice',
          replayable: false,
        },
        ...auditAttempts(),
      ]),
    );

    const groups = await screen.findAllByTestId('audit-attempt');
    const unfinished = groups.filter((g) => g.dataset.unfinished === 'true').map((g) => g.dataset.correlation);
    expect(unfinished).toEqual(['e1', 'd1']);
    const dave = groups.find((g) => g.dataset.correlation === 'd1')!;
    expect(within(dave).getByTestId('audit-no-outcome')).toHaveTextContent('No outcome recorded');
    expect(within(dave).getByTestId('audit-override')).toHaveTextContent('Override: Hotfix for the outage');
    const interrupted = groups.find((g) => g.dataset.correlation === 'e1')!;
    expect(within(interrupted).getAllByTestId('audit-result')[0]).toHaveTextContent('interrupted');
  });

  it('shows an error with its hint, and retries', async () => {
    const desk = deskWith(auditAttempts());
    desk.failure = { code: 'journal_unreadable', message: 'cannot open audit.jsonl', hint: 'Check the disk.' };
    renderAudit(desk);

    const error = await screen.findByTestId('audit-error');
    expect(error).toHaveTextContent('Sluice could not read the audit journal');
    expect(error).toHaveTextContent('cannot open audit.jsonl');
    expect(error).toHaveTextContent('Check the disk.');

    await fireEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('audit-table')).toBeInTheDocument();
    expect(desk.callsTo('audit')).toHaveLength(2);
  });

  it('says so when nothing was recorded', async () => {
    renderAudit(deskWith([]));

    expect(await screen.findByTestId('audit-empty')).toHaveTextContent('No promotions recorded yet');
    expect(screen.queryByTestId('audit-table')).not.toBeInTheDocument();
  });

  it('asks the console again with each filter, and shows what it keeps', async () => {
    const desk = deskWith(auditAttempts());
    renderAudit(desk);
    await screen.findByTestId('audit-table');

    const environment = screen.getByTestId('audit-filter-environment') as HTMLSelectElement;
    expect([...environment.options].map((o) => o.value)).toEqual(['', 'dev', 'staging', 'production']);
    const person = screen.getByTestId('audit-filter-person') as HTMLSelectElement;
    expect([...person.options].map((o) => o.textContent)).toEqual(['Everyone', '@alice', '@bob', '@carol', '@dave']);

    const asked = () => desk.callsTo('audit').at(-1)?.[0];

    await fireEvent.change(environment, { target: { value: 'staging' } });
    await vi.waitFor(() => expect(rowIds()).toEqual(['c2', 'c1']));
    expect(asked()).toEqual({ ...ANY, environment: 'staging' });
    expect(screen.getByTestId('audit-count')).toHaveTextContent('Showing 1 of 4 attempts');

    await fireEvent.change(environment, { target: { value: '' } });
    await fireEvent.change(person, { target: { value: 'bob' } });
    await vi.waitFor(() => expect(rowIds()).toEqual(['b1']));
    expect(asked()).toEqual({ ...ANY, person: 'bob' });

    await fireEvent.change(person, { target: { value: '' } });
    await fireEvent.change(screen.getByTestId('audit-filter-result'), { target: { value: 'succeeded' } });
    await vi.waitFor(() => expect(rowIds()).toEqual(['a2', 'a1']));
    expect(asked()).toEqual({ ...ANY, result: 'succeeded' });

    // What the console answers is what shows, whatever the words were.
    desk.attempts = [auditAttempts()[0]!];
    await fireEvent.change(screen.getByTestId('audit-filter-result'), { target: { value: '' } });
    await fireEvent.input(screen.getByTestId('audit-search'), { target: { value: ' hotfix ' } });
    await vi.waitFor(() => expect(asked()).toEqual({ ...ANY, search: 'hotfix' }));
    await vi.waitFor(() => expect(rowIds()).toEqual(['d1']));
    expect(screen.getByTestId('audit-count')).toHaveTextContent('Showing 1 of 1 attempt');
  });

  it('shows a filtered-empty state that clears the filters', async () => {
    renderAudit(deskWith(auditAttempts()));
    await screen.findByTestId('audit-table');

    await fireEvent.change(screen.getByTestId('audit-filter-environment'), { target: { value: 'dev' } });
    const none = await screen.findByTestId('audit-filtered-empty');
    expect(none).toHaveTextContent('No entries match these filters');
    expect(screen.queryByTestId('audit-table')).not.toBeInTheDocument();

    expect(screen.getByTestId('audit-clear-filters')).toHaveClass('btn-link');
    const clear = within(none).getByRole('button', { name: 'Clear filters' });
    expect(clear).toHaveClass('btn');
    await fireEvent.click(clear);
    await vi.waitFor(() => expect(rowIds()).toHaveLength(6));
    expect((screen.getByTestId('audit-filter-environment') as HTMLSelectElement).value).toBe('');
  });

  it('exports CSV and JSON and says where', async () => {
    const desk = deskWith(auditAttempts());
    renderAudit(desk);
    await screen.findByTestId('audit-table');
    // The app's buttons, as on every other screen.
    for (const id of ['audit-refresh', 'audit-export-csv', 'audit-export-json']) {
      expect(screen.getByTestId(id)).toHaveClass('btn');
    }

    await fireEvent.click(screen.getByTestId('audit-export-csv'));
    expect(await screen.findByTestId('audit-export-result')).toHaveTextContent(
      'Saved 6 entries to /home/alice/Downloads/sluice-audit.csv',
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Export JSON' }));
    expect(await screen.findByText(/sluice-audit\.json/)).toBeInTheDocument();
    expect(desk.callsTo('exportAudit')).toEqual([['csv'], ['json']]);
  });

  it('shows a failed export with its hint', async () => {
    const desk = deskWith(auditAttempts());
    renderAudit(desk);
    await screen.findByTestId('audit-table');

    desk.failure = { code: 'export_failed', message: 'Downloads is read-only', hint: 'Free some space.' };
    await fireEvent.click(screen.getByTestId('audit-export-json'));
    const error = await screen.findByTestId('audit-export-error');
    expect(error).toHaveTextContent('Export failed: Downloads is read-only');
    expect(error).toHaveTextContent('Free some space.');
  });

  it('refreshes, keeping the table while it reads', async () => {
    const desk = deskWith(auditAttempts());
    renderAudit(desk);
    await screen.findByTestId('audit-table');

    const erin = auditEntry({ id: 'f1', at: '2026-05-05T08:00:00Z', actor: 'erin' });
    desk.attempts = [
      { correlation: 'f1', entries: [erin], result: 'succeeded', unfinished: false, latestAt: erin.at, environment: 'production', actor: 'erin', replayable: false },
      ...auditAttempts(),
    ];
    await fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(screen.getByTestId('audit-table')).toBeInTheDocument();
    await screen.findByText('@erin', { selector: 'td' });
    expect(rowIds()[0]).toBe('f1');
    expect(desk.callsTo('audit')).toHaveLength(2);
  });

  it('exports the evidence of one attempt, says where and its hash, and opens the page', async () => {
    const desk = deskWith(auditAttempts());
    renderAudit(desk);
    await screen.findByTestId('audit-table');
    // One button per attempt, on its newest row.
    const groups = screen.getAllByTestId('audit-attempt');
    expect(groups.map((g) => within(g).queryAllByTestId('audit-export-evidence').length)).toEqual([1, 1, 1, 1]);

    await fireEvent.click(within(groups[1]!).getByTestId('audit-export-evidence'));
    const result = await screen.findByTestId('audit-evidence-result');
    expect(desk.callsTo('exportEvidence')).toEqual([['c1']]);
    expect(result).toHaveTextContent(
      'Saved the evidence of attempt c1 to /home/alice/Downloads/sluice-evidence-production-c1.html and /home/alice/Downloads/sluice-evidence-production-c1.json.',
    );
    expect(screen.getByTestId('audit-evidence-hash')).toHaveTextContent('5e'.repeat(32));

    await fireEvent.click(screen.getByTestId('audit-open-evidence'));
    await vi.waitFor(() =>
      expect(desk.callsTo('openEvidence')).toEqual([['/home/alice/Downloads/sluice-evidence-production-c1.html']]),
    );

    desk.failure = { code: 'evidence.not-verified', message: 'the file was changed', hint: 'Export it again.' };
    await fireEvent.click(screen.getByTestId('audit-open-evidence'));
    const error = await screen.findByTestId('audit-open-evidence-error');
    expect(error).toHaveTextContent('Cannot show it: the file was changed');
    expect(error).toHaveTextContent('Export it again.');
  });

  it('says why an evidence export failed, with its hint', async () => {
    const desk = deskWith(auditAttempts());
    renderAudit(desk);
    await screen.findByTestId('audit-table');
    desk.failure = { code: 'evidence.export-failed', message: 'Cannot write the page', hint: 'Check the folder.' };
    await fireEvent.click(screen.getAllByTestId('audit-export-evidence')[0]!);
    const error = await screen.findByTestId('audit-evidence-error');
    expect(error).toHaveTextContent('Evidence export failed: Cannot write the page');
    expect(error).toHaveTextContent('Check the folder.');
    expect(screen.queryByTestId('audit-evidence-result')).not.toBeInTheDocument();
  });
});
