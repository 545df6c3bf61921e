// Second build step of @cowdb/browser (after `tsc -b`): the worker entry with everything it imports
// (@cowdb/core, idb, msgpackr) as dist/worker.js, one self-contained ES module beside dist/client.js
// (scripts/bundle-worker.mjs says why it must import nothing).
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { bundleWorker } from '../../scripts/bundle-worker.mjs'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
await bundleWorker(build, here('src/worker.ts'), here('dist/worker.js'))
