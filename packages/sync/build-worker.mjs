// Second build step of @cowdb/sync (after `tsc -b`): the browser worker entry (cowdb's worker plus
// the sync host) with everything it imports as dist/browser-worker.js, one self-contained ES
// module that syncWorker() starts (scripts/bundle-worker.mjs says why it must import nothing).
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { bundleWorker } from '../../scripts/bundle-worker.mjs'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
await bundleWorker(build, here('src/browser-worker.ts'), here('dist/browser-worker.js'))
