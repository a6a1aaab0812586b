import { describe, expect, it } from 'vitest';
import { diffLines } from './manifest-diff';

describe('manifest diff lines', () => {
  it('tells the header, hunks, the two sides and context apart', () => {
    const diff = [
      '--- production now',
      '+++ after',
      '@@ -1,4 +1,4 @@',
      ' spec:',
      '-  image: ghcr.io/tbyte/api:aaa1111',
      '+  image: ghcr.io/tbyte/api:bbb2222',
      '----',
      '+++',
      '\\ No newline at end of file',
      '',
    ].join('\n');

    expect(diffLines(diff).map((line) => [line.kind, line.text])).toEqual([
      ['header', '--- production now'],
      ['header', '+++ after'],
      ['hunk', '@@ -1,4 +1,4 @@'],
      ['context', ' spec:'],
      ['removed', '-  image: ghcr.io/tbyte/api:aaa1111'],
      ['added', '+  image: ghcr.io/tbyte/api:bbb2222'],
      // Inside a hunk a YAML document separator that was removed or added is a change, not a header.
      ['removed', '----'],
      ['added', '+++'],
      ['note', '\\ No newline at end of file'],
    ]);
  });

  it('keeps a note the console wrote instead of a diff', () => {
    expect(diffLines('(over 256 KiB: not shown line by line)\n')).toEqual([
      { kind: 'note', text: '(over 256 KiB: not shown line by line)' },
    ]);
    expect(diffLines('')).toEqual([]);
  });
});
