import { describe, expect, it } from 'vitest';
import { changeRows, diffValues } from './values-diff';

describe('values diff', () => {
  it('lists every key of both sides, sorted, with what changed', () => {
    const base = [
      { key: 'replicaCount', value: '2' },
      { key: 'ingress.host', value: 'staging.tbyte.local' },
      { key: 'debug', value: 'true' },
    ];
    const values = [
      { key: 'replicaCount', value: '3' },
      { key: 'ingress.host', value: 'staging.tbyte.local' },
      { key: 'database.instance', value: 'db.t3.medium' },
    ];
    expect(diffValues(base, values)).toEqual([
      { key: 'database.instance', base: null, value: 'db.t3.medium', change: 'added' },
      { key: 'debug', base: 'true', value: null, change: 'removed' },
      { key: 'ingress.host', base: 'staging.tbyte.local', value: 'staging.tbyte.local', change: 'same' },
      { key: 'replicaCount', base: '2', value: '3', change: 'changed' },
    ]);
    expect(diffValues([], [])).toEqual([]);
  });

  it('reads a promotion\'s value changes', () => {
    expect(
      changeRows([
        { key: 'a', from: '1', to: '2' },
        { key: 'b', from: null, to: 'x' },
        { key: 'c', from: 'y', to: null },
      ]).map((row) => row.change),
    ).toEqual(['changed', 'added', 'removed']);
  });
});
