import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The admin console, served by the function app at /api/console/ (functions/console.ts) from console-dist/.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/api/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: fileURLToPath(new URL('../console-dist', import.meta.url)),
    emptyOutDir: true,
    // Nothing inlined: the Content-Security-Policy allows scripts, styles and images from the app only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // React, Fluent UI, MSAL and Chart.js in one file, loaded once and cached for good (hashed name).
    chunkSizeWarningLimit: 1536,
    rolldownOptions: {
      // Fluent UI marks its modules 'use client' for React Server Components; a browser bundle has no use for it.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  logLevel: 'warn',
});
