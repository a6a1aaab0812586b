// The Backend as served by the Tauri shell (src-tauri/src/commands.rs).
import { invoke } from '@tauri-apps/api/core';
import type { Pipeline } from '../bindings';
import { toUiError, type Backend } from './backend';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toUiError(reason);
  }
}

export function createTauriBackend(): Backend {
  return {
    loadPipeline: () => call<Pipeline>('load_pipeline'),
  };
}
