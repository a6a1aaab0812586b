// The Backend as served by the Tauri shell (src-tauri/src/commands.rs).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Pipeline, Snapshot } from '../bindings';
import { toUiError, type Backend } from './backend';

/** The event the shell emits with every new Snapshot. */
export const SNAPSHOT_EVENT = 'snapshot';

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
    getSnapshot: () => call<Snapshot | null>('get_snapshot'),
    onSnapshot: async (listener) => {
      try {
        return await listen<Snapshot>(SNAPSHOT_EVENT, (event) => listener(event.payload));
      } catch (reason) {
        throw toUiError(reason);
      }
    },
  };
}
