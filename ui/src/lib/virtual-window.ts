// Which rows of a long list of equal-height rows to put in the DOM, given where it is scrolled:
// the rows in view plus an overscan either side, and the height the rows left out would take,
// so spacers keep the scrollbar and the total height as if every row were there.

export interface WindowInput {
  /** How far the list is scrolled, in px from the top of its first row. */
  scrollTop: number;
  /** The height of the scrolled viewport, in px. */
  viewportHeight: number;
  /** The height of one row, in px. */
  rowHeight: number;
  /** How many rows the list has. */
  count: number;
  /** How many rows to render beyond the viewport above and below, so a fast scroll shows no gap. */
  overscan: number;
}

export interface VirtualWindow {
  /** The first row to render. */
  start: number;
  /** One past the last row to render: render `items.slice(start, end)`. */
  end: number;
  /** The height of the rows before `start`, in px. */
  padTop: number;
  /** The height of the rows from `end` on, in px. */
  padBottom: number;
}

/** A non-negative whole number, `0` for anything else (NaN from a layout that is not there yet). */
function whole(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function virtualWindow({ scrollTop, viewportHeight, rowHeight, count, overscan }: WindowInput): VirtualWindow {
  const rows = whole(count);
  if (rows === 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  // A zero row height would put every row in view; one pixel is the least a row can take.
  const height = Math.max(1, Number.isFinite(rowHeight) ? rowHeight : 0);
  const inView = Math.max(1, Math.ceil(whole(viewportHeight) / height));
  // Scrolled past the end (the list shrank before the browser clamped scrollTop): show the last rows, not none.
  const first = Math.min(Math.floor(whole(scrollTop) / height), Math.max(0, rows - inView));
  const extra = whole(overscan);
  const start = Math.max(0, first - extra);
  const end = Math.min(rows, first + inView + extra);
  return { start, end, padTop: start * height, padBottom: (rows - end) * height };
}
