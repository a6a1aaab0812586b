import { createContext } from 'svelte';
import type { Backend } from './backend';

/**
 * The Backend for the component tree. The root component (App.svelte) sets it
 * from its `backend` prop; main.ts passes the Tauri one, tests pass a fake.
 */
export const [getBackend, setBackend] = createContext<Backend>();
