// How the Metrics view writes the console's figures (the same words as `sluice metrics`).
import type { EnvironmentMetrics, FailureReason, MetricsBucket } from '../bindings';
import type { SeriesChart } from './chart';

/** Hours as people read them: minutes under an hour, days from two days on. */
export function duration(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  return `${(hours / 24).toFixed(1)} d`;
}

export function percent(rate: number): string {
  return `${Math.round(rate * 100)} %`;
}

export const REASONS: Record<FailureReason, string> = {
  failed: 'failed',
  'rolled-back': 'rolled back',
  'needed-fix': 'needed a fix',
};

/** The periods offered, in days. */
export const PERIODS: { days: number; label: string }[] = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 42, label: 'Last 6 weeks' },
  { days: 90, label: 'Last 90 days' },
];

/** A point's label: its first day, `Mar 4`, in UTC as the console counts days. */
export function bucketLabel(bucket: MetricsBucket): string {
  const date = new Date(`${bucket.start}T00:00:00Z`);
  return date.toLocaleDateString('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export function seriesOf(metrics: EnvironmentMetrics): SeriesChart {
  return {
    labels: metrics.series.map(bucketLabel),
    healthy: metrics.series.map((b) => b.deployments - b.failures),
    failed: metrics.series.map((b) => b.failures),
    rollbacks: metrics.series.map((b) => b.rollbacks),
    leadHours: metrics.series.map((b) => b.leadTimeMedianHours),
  };
}
