// Links leave the window through the console: it opens the configured GitHub's pages at once
// and answers `confirm` for anything else, which the window asks the person about
// (LinkConfirm.svelte) before opening it with their confirmation.
import type { Backend } from './backend/backend';

/**
 * Asks the console to open `url`. Resolves to the host to ask the person about when the link
 * leads away from the configured GitHub, or `null` when it was opened.
 */
export async function openLink(backend: Backend, url: string): Promise<string | null> {
  const decision = await backend.openUrl(url, false);
  return decision.kind === 'confirm' ? decision.host : null;
}
