import { fireEvent, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { EnvironmentMetrics, Metrics, MetricsBucket } from '../bindings';
import type { SeriesChart } from '../metrics/chart';
import { FakeDesk, tbyteSnapshot } from '../../test/fixtures';
import { cellsOf, renderAppLive, textOf } from '../../test/app';

// jsdom has no canvas: the charts record what they were asked to draw.
const drawn = vi.hoisted(() => [] as SeriesChart[]);
vi.mock('../metrics/chart', () => ({
  seriesChart: (_canvas: HTMLCanvasElement, data: SeriesChart) => {
    drawn.push(data);
    return { update: (next: SeriesChart) => drawn.push(next), destroy: () => undefined };
  },
}));

function bucket(start: string, deployments: number, failures: number, rest: Partial<MetricsBucket> = {}): MetricsBucket {
  return { start, deployments, failures, rollbacks: 0, leadTimeMedianHours: null, ...rest };
}

function environment(name: string, rest: Partial<EnvironmentMetrics> = {}): EnvironmentMetrics {
  return {
    environment: name,
    deployments: 0,
    perWeek: 0,
    rollbacks: 0,
    leadTime: null,
    failures: 0,
    changeFailureRate: null,
    failureRateHigh: false,
    timeToRestore: null,
    unrestored: 0,
    failedChanges: [],
    series: [bucket('2026-03-01', 0, 0), bucket('2026-03-08', 0, 0)],
    note: 'No deployments in this period.',
    ...rest,
  };
}

const metrics: Metrics = {
  since: '2026-02-27T12:00:00Z',
  until: '2026-03-29T12:00:00Z',
  days: 30,
  bucketDays: 7,
  environments: [
    environment('staging'),
    environment('production', {
      deployments: 8,
      perWeek: 1.87,
      rollbacks: 1,
      leadTime: { medianHours: 20, p90Hours: 30, samples: 7 },
      failures: 2,
      changeFailureRate: 0.25,
      failureRateHigh: true,
      timeToRestore: { medianHours: 0.8, p90Hours: 3.5, samples: 1 },
      unrestored: 1,
      failedChanges: [
        { version: 'ccc3333', at: '2026-03-20T10:00:00Z', reason: 'failed', restoredAfterHours: null },
        { version: 'bbb2222', at: '2026-03-02T09:00:00Z', reason: 'rolled-back', restoredAfterHours: 0.8 },
      ],
      series: [
        bucket('2026-03-01', 5, 1, { rollbacks: 1, leadTimeMedianHours: 9 }),
        bucket('2026-03-08', 3, 1, { leadTimeMedianHours: 27 }),
      ],
      note: null,
    }),
  ],
  problems: ['GitHub did not describe 1 deployed commit(s): their lead times are left out'],
};

async function openMetrics(desk: FakeDesk): Promise<HTMLElement> {
  await renderAppLive(tbyteSnapshot(), desk);
  await fireEvent.click(screen.getByTestId('nav-metrics'));
  return screen.findByTestId('metrics-production');
}

describe('Metrics view', () => {
  it("writes each environment's figures as the console computed them, and charts its series", async () => {
    const desk = new FakeDesk();
    desk.metricsAnswer = metrics;
    drawn.length = 0;
    const production = await openMetrics(desk);

    expect(screen.getByRole('heading', { level: 1, name: 'Metrics' })).toBeVisible();
    expect(desk.callsTo('metrics')).toEqual([[30]]);
    expect(textOf(screen.getByTestId('metrics-span'))).toBe('Over 30 days, 2026-02-27 to 2026-03-29, charted per week.');
    const figure = (id: string) => textOf(within(production).getByTestId(id));
    expect(figure('frequency')).toBe('8 1.9 / week · 1 rollback');
    expect(figure('lead-time')).toBe('20.0 h median · p90 30.0 h');
    expect(figure('failure-rate')).toBe('25 % 2 of 8');
    expect(figure('restore')).toBe('48 min median · p90 3.5 h 1 not restored');

    // An environment without deployments says so, with no figures made up.
    const staging = screen.getByTestId('metrics-staging');
    expect(textOf(within(staging).getByTestId('failure-rate'))).toBe('–');
    expect(textOf(within(staging).getByTestId('note'))).toBe('No deployments in this period.');

    // The chart gets the series: healthy and failed deployments apart, lead time per point.
    expect(drawn.at(-1)).toEqual({
      labels: ['Mar 1', 'Mar 8'],
      healthy: [4, 2],
      failed: [1, 1],
      rollbacks: [1, 0],
      leadHours: [9, 27],
    });
    // The same figures as text, under a disclosure (closed: jsdom does not open it on click).
    expect(within(production).getByText("The chart's figures").tagName).toBe('SUMMARY');
    const rows = within(production)
      .getAllByRole('row', { hidden: true })
      .map((r) => cellsOf(r));
    expect(rows.slice(1)).toEqual(['Mar 1 5 1 1 9.0 h', 'Mar 8 3 1 0 27.0 h']);

    const failed = within(screen.getByTestId('failed-changes')).getAllByRole('row').map((r) => cellsOf(r));
    expect(failed.slice(1)).toEqual([
      'production ccc3333 2026-03-20 10:00 failed not yet',
      'production bbb2222 2026-03-02 09:00 rolled back 48 min',
    ]);
    expect(textOf(screen.getByTestId('metrics-problem'))).toContain('lead times are left out');
  });

  it('asks again for the period chosen', async () => {
    const desk = new FakeDesk();
    desk.metricsAnswer = metrics;
    await openMetrics(desk);
    await fireEvent.change(screen.getByTestId('metrics-period'), { target: { value: '90' } });
    await vi.waitFor(() => expect(desk.callsTo('metrics')).toEqual([[30], [90]]));
  });

  it("shows the console's error with its hint", async () => {
    const desk = new FakeDesk();
    await renderAppLive(tbyteSnapshot(), desk);
    await fireEvent.click(screen.getByTestId('nav-metrics'));
    const error = await screen.findByTestId('metrics-error');
    expect(textOf(error)).toContain('no metrics in the fake');
  });
});
