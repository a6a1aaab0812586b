// Run with `ui/` as the Vite root (`vite build ui`, `vitest run --root ui`):
// every relative path below is relative to ui/.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // autoCleanup is off because its setup file cannot be loaded from outside the
  // root (ui/) by Vitest 4; src/test/setup.ts imports the same cleanup instead.
  plugins: [svelte(), svelteTesting({ autoCleanup: false })],
  // Tauri prints its own output; keep Vite from clearing it.
  clearScreen: false,
  server: {
    // Tauri's devUrl points here; fail rather than silently move to another port.
    port: 1420,
    strictPort: true,
  },
  build: {
    // Tauri embeds ui/dist (frontendDist in tauri.conf.json).
    outDir: 'dist',
    emptyOutDir: true,
    // The webview is WebKitGTK / WKWebView / WebView2, never an old browser.
    target: 'es2022',
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
  },
});
