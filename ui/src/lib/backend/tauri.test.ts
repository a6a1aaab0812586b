import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { tbytePipeline, validationError } from '../../test/fixtures';
import { createTauriBackend } from './tauri';

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
});
