import { defineConfig } from 'vite'
import { fileURLToPath } from 'node:url'

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url))

// The playground (demo/) and the browser-test pages (demo/test/) run the packages' current
// sources. COOP/COEP make the page cross-origin isolated (SharedArrayBuffer, precise timers).
export default defineConfig({
  root: 'demo',
  resolve: {
    alias: {
      '@cowdb/sync': src('sync'),
      '@cowdb/core': src('core'),
      '@cowdb/browser': src('browser'),
    },
  },
  server: {
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    fs: { allow: [fileURLToPath(new URL('.', import.meta.url))] },
  },
  worker: { format: 'es' },
  build: { outDir: '../dist/demo', emptyOutDir: true, target: 'es2022' },
})
