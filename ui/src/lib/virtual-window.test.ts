import { describe, expect, it } from 'vitest';
import { virtualWindow } from './virtual-window';

const base = { scrollTop: 0, viewportHeight: 300, rowHeight: 30, count: 1000, overscan: 5 };

describe('virtual window', () => {
  it('renders the rows in view and the overscan below at the top', () => {
    expect(virtualWindow(base)).toEqual({ start: 0, end: 15, padTop: 0, padBottom: 985 * 30 });
  });

  it('renders the overscan on both sides in the middle, the spacers standing for the rest', () => {
    const shown = virtualWindow({ ...base, scrollTop: 100 * 30 + 10 });
    expect(shown).toEqual({ start: 95, end: 115, padTop: 95 * 30, padBottom: 885 * 30 });
    // Spacers and rendered rows add up to the whole list's height.
    expect(shown.padTop + (shown.end - shown.start) * 30 + shown.padBottom).toBe(1000 * 30);
  });

  it('renders nothing and no spacer for no rows', () => {
    expect(virtualWindow({ ...base, count: 0 })).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
    expect(virtualWindow({ ...base, count: 0, scrollTop: 5000 })).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });

  it('renders every row when the viewport is taller than the content', () => {
    expect(virtualWindow({ ...base, count: 4, viewportHeight: 1000 })).toEqual({ start: 0, end: 4, padTop: 0, padBottom: 0 });
  });

  it('renders the last rows when scrolled past the end', () => {
    // 1000 rows of 30 px end at 30 000; the last 10 fill the viewport.
    expect(virtualWindow({ ...base, scrollTop: 90_000 })).toEqual({ start: 985, end: 1000, padTop: 985 * 30, padBottom: 0 });
    expect(virtualWindow({ ...base, count: 4, viewportHeight: 1000, scrollTop: 90_000 })).toEqual({
      start: 0,
      end: 4,
      padTop: 0,
      padBottom: 0,
    });
  });

  it('ends exactly at the last row when scrolled to the bottom', () => {
    expect(virtualWindow({ ...base, scrollTop: 990 * 30 })).toEqual({ start: 985, end: 1000, padTop: 985 * 30, padBottom: 0 });
  });

  it('counts a partly shown row as in view', () => {
    expect(virtualWindow({ ...base, overscan: 0, viewportHeight: 301 })).toMatchObject({ start: 0, end: 11 });
    expect(virtualWindow({ ...base, overscan: 0, scrollTop: 29 })).toMatchObject({ start: 0, end: 10 });
    expect(virtualWindow({ ...base, overscan: 0, scrollTop: 30 })).toMatchObject({ start: 1, end: 11 });
  });

  it('reads a missing layout (zero, negative or NaN) as the top of the list, one row in view', () => {
    expect(virtualWindow({ ...base, scrollTop: -40, viewportHeight: 0, overscan: 0 })).toEqual({
      start: 0,
      end: 1,
      padTop: 0,
      padBottom: 999 * 30,
    });
    expect(virtualWindow({ ...base, scrollTop: NaN, viewportHeight: NaN, rowHeight: NaN, overscan: 0 })).toEqual({
      start: 0,
      end: 1,
      padTop: 0,
      padBottom: 999,
    });
    expect(virtualWindow({ ...base, rowHeight: 0, count: 3, overscan: 0 })).toEqual({ start: 0, end: 3, padTop: 0, padBottom: 0 });
  });
});
