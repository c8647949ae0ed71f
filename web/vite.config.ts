import { defineConfig } from 'vite';

// Served by the module's nginx from web/dist (conf/bedrud.conf): same
// origin as the API and LiveKit's signalling, so the CSP can say 'self'.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    // no inline data: URLs, so that the CSP needs no data: for scripts
    assetsInlineLimit: 0,
    // livekit-client is most of it
    chunkSizeWarningLimit: 800,
  },
  worker: { format: 'es' },
});
