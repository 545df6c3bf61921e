// The browser benchmark's Vite config: the root config (package aliases, COOP/COEP headers,
// ES workers) served from bench/browser. sqlite-wasm is left out of dependency pre-bundling
// because it finds its .wasm file next to its own module, and chart.js because its pre-bundled
// copy lost its named exports (it is plain ESM anyway); the other peers are pre-bundled up
// front so Vite never re-optimizes (and reloads the page) in the middle of a run.
import { defineConfig, mergeConfig } from 'vite'
import { fileURLToPath } from 'node:url'
import root from '../vite.config.ts'

export default mergeConfig(
  root,
  defineConfig({
    root: fileURLToPath(new URL('./browser', import.meta.url)),
    optimizeDeps: {
      exclude: ['@sqlite.org/sqlite-wasm', 'chart.js'],
      include: ['idb', 'dexie', 'sorted-btree'],
      entries: ['*.html', '*-worker.ts'],
    },
  }),
)
