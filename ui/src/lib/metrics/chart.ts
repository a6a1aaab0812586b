// Chart.js behind a Svelte action: the Metrics view hands over what to draw, this draws it
// in the app's theme (read from its CSS variables) and redraws when the theme changes.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

/** One environment's series, as the view hands it over. */
export interface SeriesChart {
  labels: string[];
  /** Deployments that were not failed changes. */
  healthy: number[];
  failed: number[];
  rollbacks: number[];
  /** Median lead time per point, in hours; `null` where there was none. */
  leadHours: (number | null)[];
}

function themed(name: string, fallback: string): string {
  if (typeof getComputedStyle === 'undefined') return fallback;
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** The Chart.js configuration of `data` in the current theme. */
export function chartConfig(data: SeriesChart): ChartConfiguration<'bar' | 'line', (number | null)[], string> {
  const text = themed('--text-muted', '#59636e');
  const grid = themed('--border', '#d1d9e0');
  const ok = themed('--ok-fill', '#1f883d');
  const danger = themed('--danger-border', '#e5534b');
  const warn = themed('--gate-border', '#d4a72c');
  const accent = themed('--accent', '#0a62c9');
  return {
    type: 'bar',
    data: {
      labels: data.labels,
      datasets: [
        { type: 'bar', label: 'Deployments', data: data.healthy, backgroundColor: ok, stack: 'changes', yAxisID: 'count' },
        { type: 'bar', label: 'Failed changes', data: data.failed, backgroundColor: danger, stack: 'changes', yAxisID: 'count' },
        { type: 'bar', label: 'Rollbacks', data: data.rollbacks, backgroundColor: warn, stack: 'rollbacks', yAxisID: 'count' },
        {
          type: 'line',
          label: 'Median lead time (h)',
          data: data.leadHours,
          borderColor: accent,
          backgroundColor: accent,
          spanGaps: true,
          tension: 0.25,
          yAxisID: 'hours',
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { labels: { color: text, boxWidth: 12 } } },
      scales: {
        x: { stacked: true, ticks: { color: text }, grid: { display: false } },
        count: {
          position: 'left',
          stacked: true,
          beginAtZero: true,
          ticks: { color: text, precision: 0 },
          grid: { color: grid },
          title: { display: true, text: 'changes', color: text },
        },
        hours: {
          position: 'right',
          beginAtZero: true,
          ticks: { color: text },
          grid: { display: false },
          title: { display: true, text: 'lead time (h)', color: text },
        },
      },
    },
  };
}

/** `use:seriesChart={data}` on a canvas. */
export function seriesChart(canvas: HTMLCanvasElement, data: SeriesChart) {
  let current = data;
  let chart: Chart<'bar' | 'line', (number | null)[], string> | null = null;
  const draw = (): void => {
    chart?.destroy();
    chart = new Chart(canvas, chartConfig(current));
  };
  draw();
  const scheme = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
  scheme?.addEventListener('change', draw);
  return {
    update(next: SeriesChart): void {
      current = next;
      draw();
    },
    destroy(): void {
      scheme?.removeEventListener('change', draw);
      chart?.destroy();
    },
  };
}
