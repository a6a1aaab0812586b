// Two environments' Helm values side by side, and a promotion's value changes,
// as rows a table can highlight.
import type { ValueChange, ValueEntry } from './bindings';

export type Change = 'same' | 'changed' | 'added' | 'removed';

export interface DiffRow {
  key: string;
  /** The base side (the environment compared against); `null` when it does not set the key. */
  base: string | null;
  /** The environment looked at. */
  value: string | null;
  change: Change;
}

/** Every key of either side, sorted; `added` = only in `values`, `removed` = only in `base`. */
export function diffValues(base: ValueEntry[], values: ValueEntry[]): DiffRow[] {
  const left = new Map(base.map((entry) => [entry.key, entry.value]));
  const right = new Map(values.map((entry) => [entry.key, entry.value]));
  const keys = [...new Set([...left.keys(), ...right.keys()])].sort();
  return keys.map((key) => {
    const a = left.get(key) ?? null;
    const b = right.get(key) ?? null;
    return { key, base: a, value: b, change: changeOf(a, b) };
  });
}

export function changeOf(from: string | null, to: string | null): Change {
  if (from === null && to !== null) return 'added';
  if (from !== null && to === null) return 'removed';
  return from === to ? 'same' : 'changed';
}

/** A promotion's value changes as diff rows (base = what runs, value = what would run). */
export function changeRows(changes: ValueChange[]): DiffRow[] {
  return changes.map((c) => ({ key: c.key, base: c.from, value: c.to, change: changeOf(c.from, c.to) }));
}

export const CHANGE_LABEL: Record<Change, string> = {
  same: 'same',
  changed: 'changed',
  added: 'added',
  removed: 'removed',
};
