import { emit } from '@tauri-apps/api/event';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActRequest, ProgressLine, Snapshot, SnapshotUpdate, Verification } from '../bindings';
import { approvableReview, tbytePipeline, tbyteSnapshot, validationError, verification } from '../../test/fixtures';
import { createTauriBackend, PROGRESS_EVENT, SNAPSHOT_EVENT, VERIFICATION_EVENT } from './tauri';

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

  it('delivers every pushed snapshot update, whole, until unsubscribed', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true });
    const received: Snapshot[] = [];
    const whole = (sequence: number): SnapshotUpdate => ({ snapshot: tbyteSnapshot(sequence), base: null, sameWorkloads: [], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [], sentAt: 0 });

    const unsubscribe = await createTauriBackend().onSnapshot((snapshot: Snapshot) => received.push(snapshot));
    await emit(SNAPSHOT_EVENT, whole(1));
    // Staging's workloads are those of snapshot 1: the update leaves them out.
    const second = tbyteSnapshot(2);
    const staging = second.environments.findIndex((e) => e.name === 'staging');
    const left = second.environments[staging];
    if (!left) throw new Error('the fixture has staging');
    second.environments[staging] = { ...left, workloads: [] };
    await emit(SNAPSHOT_EVENT, { snapshot: second, base: 1, sameWorkloads: ['staging'], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [], sentAt: 0 });
    await emit('something-else', whole(3));
    unsubscribe();
    await emit(SNAPSHOT_EVENT, whole(4));

    expect(received.map((s) => s.sequence)).toEqual([1, 2]);
    const filled = received[1]?.environments[staging]?.workloads;
    expect(filled).toEqual(tbyteSnapshot(1).environments[staging]?.workloads);
    expect(filled?.length).toBeGreaterThan(0);
  });

  it('asks for the whole snapshot when an update was made against one it does not hold', async () => {
    const commands: string[] = [];
    mockIPC(
      (command) => {
        commands.push(command);
        return command === 'get_snapshot' ? tbyteSnapshot(5) : undefined;
      },
      { shouldMockEvents: true },
    );
    const received: number[] = [];

    await createTauriBackend().onSnapshot((snapshot: Snapshot) => received.push(snapshot.sequence));
    await emit(SNAPSHOT_EVENT, { snapshot: tbyteSnapshot(5), base: 4, sameWorkloads: ['staging'], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [], sentAt: 0 });
    await new Promise((resolve) => setTimeout(resolve, 0));

    expect(commands).toContain('get_snapshot');
    expect(received).toEqual([5]);
  });

  it('delivers each change of the verifications until unsubscribed', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true });
    const received: Verification[][] = [];
    const unsubscribe = await createTauriBackend().onVerifications((list) => received.push(list));
    await emit(VERIFICATION_EVENT, [verification()]);
    unsubscribe();
    await emit(VERIFICATION_EVENT, [verification({ heldSeconds: 41 })]);
    expect(received).toEqual([[verification()]]);
  });

  it('delivers every progress line a running promotion prints until unsubscribed', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true });
    const received: ProgressLine[] = [];
    const line = (environment: string, text: string): ProgressLine => ({ environment, line: text });

    const unsubscribe = await createTauriBackend().onProgress((progress) => received.push(progress));
    await emit(PROGRESS_EVENT, line('production', 'Release "tbyte-prod" has been upgraded.'));
    await emit(PROGRESS_EVENT, line('staging', 'STATUS: deployed'));
    await emit(SNAPSHOT_EVENT, { snapshot: tbyteSnapshot(1), base: null, sameWorkloads: [], keptWorkloads: [], sameHelmHistory: [], sameVersionImages: [], sameImageChanges: [], sentAt: 0 });
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
