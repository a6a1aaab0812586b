import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './ui/svelte.config.js';

export default defineConfig(
  {
    ignores: ['ui/dist/', 'node_modules/', 'target/', 'src-tauri/', '.tools/', 'ui/src/lib/bindings.ts'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  svelte.configs.recommended,
  {
    files: ['ui/**/*.{ts,js,svelte}'],
    languageOptions: {
      globals: { ...globals.browser },
    },
  },
  {
    files: ['ui/**/*.svelte', 'ui/**/*.svelte.ts'],
    languageOptions: {
      parserOptions: {
        parser: tseslint.parser,
        extraFileExtensions: ['.svelte'],
        svelteConfig,
      },
    },
  },
  {
    files: ['tests/e2e/**/*.{js,mjs}', 'tests/screenshots/**/*.{js,mjs}', 'tests/bench/**/*.{js,mjs}', 'eslint.config.js', 'ui/vite.config.ts', 'ui/svelte.config.js'],
    languageOptions: {
      globals: { ...globals.node },
    },
  },
  {
    // Rules of the house: src/lib/backend/ is the only place that talks to Tauri.
    files: ['ui/src/**/*.{ts,svelte}'],
    ignores: ['ui/src/lib/backend/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tauri-apps/*'],
              message: 'Only ui/src/lib/backend/ may import @tauri-apps/*; go through the Backend.',
            },
          ],
        },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
