import { describe, expect, it } from 'vitest';
import { PROGRESS_LOG_LIMIT, ProgressLog } from './progress-log.svelte';

describe('progress log', () => {
  it('keeps nothing before an action starts, then only the lines of its environment', () => {
    const log = new ProgressLog();
    log.take({ environment: 'production', line: 'before anything started' });
    expect(log.lines).toEqual([]);

    log.start('production');
    log.take({ environment: 'production', line: 'Release "tbyte-prod" has been upgraded.' });
    log.take({ environment: 'staging', line: 'STATUS: deployed' });
    log.take({ environment: 'production', line: 'REVISION: 8' });

    expect(log.lines).toEqual([
      { number: 1, text: 'Release "tbyte-prod" has been upgraded.' },
      { number: 2, text: 'REVISION: 8' },
    ]);
    expect(log.received).toBe(2);
  });

  it(`keeps the last ${PROGRESS_LOG_LIMIT} lines`, () => {
    const log = new ProgressLog();
    log.start('production');
    for (let i = 1; i <= PROGRESS_LOG_LIMIT + 5; i += 1) log.take({ environment: 'production', line: `line ${i}` });

    expect(log.lines).toHaveLength(PROGRESS_LOG_LIMIT);
    expect(log.lines[0]).toEqual({ number: 6, text: 'line 6' });
    expect(log.lines.at(-1)).toEqual({ number: PROGRESS_LOG_LIMIT + 5, text: `line ${PROGRESS_LOG_LIMIT + 5}` });
    expect(log.dropped).toBe(5);
  });

  it('clears when a new action starts', () => {
    const log = new ProgressLog();
    log.start('production');
    log.take({ environment: 'production', line: 'Error: UPGRADE FAILED: timed out waiting for the condition' });
    log.start('production');

    expect(log.lines).toEqual([]);
    expect(log.received).toBe(0);
  });
});
