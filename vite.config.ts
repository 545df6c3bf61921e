import { defineConfig } from 'vite'
import { fileURLToPath } from 'node:url'

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url))
const sub = (p: string) => fileURLToPath(new URL(`./packages/${p}/src/`, import.meta.url)) + '$1.ts'

// The playground (demo/) and the browser-test pages (demo/test/) run the packages' current
// sources. COOP/COEP make the page cross-origin isolated (SharedArrayBuffer, precise timers).
export default defineConfig({
  root: 'demo',
  resolve: {
    // a package name maps to its index, a subpath (@cowdb/core/errors) to that source file
    alias: [
      { find: /^@cowdb\/sync$/, replacement: src('sync') },
      { find: /^@cowdb\/core$/, replacement: src('core') },
      { find: /^@cowdb\/core\/(.*)$/, replacement: sub('core') },
      { find: /^@cowdb\/browser$/, replacement: src('browser') },
      { find: /^@cowdb\/browser\/(.*)$/, replacement: sub('browser') },
    ],
  },
  server: {
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    fs: { allow: [fileURLToPath(new URL('.', import.meta.url))] },
  },
  worker: { format: 'es' },
  build: { outDir: '../dist/demo', emptyOutDir: true, target: 'es2022' },
})
