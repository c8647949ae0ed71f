/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// Served by the module's nginx from web/dist (conf/bedrud-server.conf): same
// origin as the API and LiveKit's signalling, so the CSP can say 'self'.
// React's JSX is compiled by Vite's esbuild (no plugin: no fast refresh
// needed, and @vitejs/plugin-react would pull a newer Vite).
export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    // no inline data: URLs, so that the CSP needs no data: for scripts
    assetsInlineLimit: 0,
    // the meeting chunk is livekit-client and LiveKit's components
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      onwarn(w, warn) {
        // React Server Components' "use client" marks (react-query,
        // lucide-react): meaningless in a client-only bundle
        if (w.code === 'MODULE_LEVEL_DIRECTIVE' && /use client/.test(w.message)) return;
        warn(w);
      },
    },
  },
  worker: { format: 'es' },
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
  },
});
