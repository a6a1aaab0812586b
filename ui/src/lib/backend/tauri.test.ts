import { emit } from '@tauri-apps/api/event';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActRequest, ProgressLine, Snapshot } from '../bindings';
import { approvableReview, tbytePipeline, tbyteSnapshot, validationError } from '../../test/fixtures';
import { createTauriBackend, PROGRESS_EVENT, SNAPSHOT_EVENT } from './tauri';

afterEach(() => clearMocks());

describe('tauri backend', () => {
  it('loads the pipeline with the load_pipeline command', async () => {
    const commands: string[] = [];
    mockIPC((command) => {
      commands.push(command);
      return tbytePipeline();
    });

    const pipeline = await createTauriBackend().loadPipeline();

    expect(commands).toEqual(['load_pipeline']);
    expect(pipeline.environments.map((e) => e.name)).toEqual(['dev', 'staging', 'production']);
  });

  it('passes a UiError through unchanged', async () => {
    mockIPC(() => {
      throw validationError;
    });

    await expect(createTauriBackend().loadPipeline()).rejects.toEqual(validationError);
  });

  it('turns any other rejection into a UiError', async () => {
    mockIPC(() => {
      throw 'command load_pipeline not found';
    });

    await expect(createTauriBackend().loadPipeline()).rejects.toMatchObject({
      code: 'internal',
      message: 'command load_pipeline not found',
      hint: expect.stringContaining('Restart Sluice'),
    });
  });

  it('asks for the current snapshot with the get_snapshot command', async () => {
    const commands: string[] = [];
    mockIPC((command) => {
      commands.push(command);
      return command === 'get_snapshot' ? tbyteSnapshot(7) : undefined;
    });

    const snapshot = await createTauriBackend().getSnapshot();

    expect(commands).toEqual(['get_snapshot']);
    expect(snapshot?.sequence).toBe(7);
  });

  it('passes on null before the first snapshot exists', async () => {
    mockIPC(() => null);

    expect(await createTauriBackend().getSnapshot()).toBeNull();
  });

  it('delivers every pushed snapshot event until unsubscribed', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true });
    const received: number[] = [];

    const unsubscribe = await createTauriBackend().onSnapshot((snapshot: Snapshot) => received.push(snapshot.sequence));
    await emit(SNAPSHOT_EVENT, tbyteSnapshot(1));
    await emit(SNAPSHOT_EVENT, tbyteSnapshot(2));
    await emit('something-else', tbyteSnapshot(3));
    unsubscribe();
    await emit(SNAPSHOT_EVENT, tbyteSnapshot(4));

    expect(received).toEqual([1, 2]);
  });

  it('delivers every progress line a running promotion prints until unsubscribed', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true });
    const received: ProgressLine[] = [];
    const line = (environment: string, text: string): ProgressLine => ({ environment, line: text });

    const unsubscribe = await createTauriBackend().onProgress((progress) => received.push(progress));
    await emit(PROGRESS_EVENT, line('production', 'Release "tbyte-prod" has been upgraded.'));
    await emit(PROGRESS_EVENT, line('staging', 'STATUS: deployed'));
    await emit(SNAPSHOT_EVENT, tbyteSnapshot(1));
    unsubscribe();
    await emit(PROGRESS_EVENT, line('production', 'REVISION: 8'));

    expect(received).toEqual([
      line('production', 'Release "tbyte-prod" has been upgraded.'),
      line('staging', 'STATUS: deployed'),
    ]);
  });

  it('names invoke arguments as the camelCase of the Rust parameters', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((command, args) => {
      calls.push([command, args]);
      return command === 'audit' ? [] : null;
    });
    const backend = createTauriBackend();
    const request: ActRequest = {
      environment: 'production',
      action: 'approve',
      comment: 'Ship it',
      overrideReason: null,
      pin: approvableReview().pin,
    };

    await backend.review('production', 10062);
    await backend.review('production', null);
    await backend.act(request);
    await backend.audit({ environment: 'staging', person: null, result: 'failed', search: null });

    expect(calls).toEqual([
      ['review', { environment: 'production', runId: 10062 }],
      ['review', { environment: 'production', runId: null }],
      ['act', { request }],
      ['audit', { filter: { environment: 'staging', person: null, result: 'failed', search: null } }],
    ]);
  });
});
