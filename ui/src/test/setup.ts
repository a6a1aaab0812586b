import '@testing-library/jest-dom/vitest';
// Unmounts components after each test. Imported here rather than through
// svelteTesting()'s autoCleanup, whose absolute setup-file path Vitest 4 cannot
// load when the Vite root (ui/) is not the package root.
import '@testing-library/svelte/vitest';
