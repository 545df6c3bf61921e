// Second build step of @cowdb/sync (after `tsc -b`): bundles the browser worker entry (cowdb's
// worker plus the sync host) with everything it imports into dist/browser-worker.js, ONE
// self-contained ES module, as @cowdb/browser's build-worker.mjs does for dist/worker.js.
// syncWorker() starts it with `new Worker(new URL('./browser-worker.js', import.meta.url), ...)`,
// a form Vite and webpack follow; it must import nothing.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))

const result = await build({
  entryPoints: [here('src/browser-worker.ts')],
  outfile: here('dist/browser-worker.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
})
const [output] = Object.values(result.metafile.outputs).filter((o) => o.entryPoint)
if (!output || output.imports.length) {
  console.error('build-worker: dist/browser-worker.js must import nothing, but imports', output?.imports)
  process.exit(1)
}
console.log(`build-worker: dist/browser-worker.js, ${(output.bytes / 1024).toFixed(1)} KiB, self-contained`)
