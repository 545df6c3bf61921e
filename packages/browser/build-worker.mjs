// Second build step of @cowdb/browser (after `tsc -b`): bundles the worker entry with everything
// it imports (@cowdb/core, comlink, idb, msgpackr) into dist/worker.js, ONE self-contained ES
// module beside dist/client.js. The client starts it with
// `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`, a form Vite and
// webpack follow and emit as a file of their own; a bundler that does not (esbuild) can copy this
// single file anywhere and pass its URL as the `worker` option. It must import nothing: an
// import would be resolved against wherever the app's bundler put the file.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))

const result = await build({
  entryPoints: [here('src/worker.ts')],
  outfile: here('dist/worker.js'),
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
  console.error('build-worker: dist/worker.js must import nothing, but imports', output?.imports)
  process.exit(1)
}
console.log(`build-worker: dist/worker.js, ${(output.bytes / 1024).toFixed(1)} KiB, self-contained`)
