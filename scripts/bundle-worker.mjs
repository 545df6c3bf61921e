// Bundles a worker entry with everything it imports into ONE self-contained ES module (the second
// build step of @cowdb/browser, dist/worker.js, and of @cowdb/sync, dist/browser-worker.js). A
// client starts it with `new Worker(new URL('./<file>', import.meta.url), { type: 'module' })`, a
// form Vite and webpack follow and emit as a file of their own; a bundler that does not (esbuild)
// can copy the single file anywhere and pass its URL as openDB's `worker` option. It must import
// nothing: an import would be resolved against wherever the app's bundler put the file.
/** Bundles `entry` into `outfile` (absolute paths) with esbuild's `build` (the package's own esbuild); exits 1 if the result imports anything. */
export async function bundleWorker(build, entry, outfile) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  })
  const name = outfile.split('/').slice(-2).join('/')
  const [output] = Object.values(result.metafile.outputs).filter((o) => o.entryPoint)
  if (!output || output.imports.length) {
    console.error(`build-worker: ${name} must import nothing, but imports`, output?.imports)
    process.exit(1)
  }
  console.log(`build-worker: ${name}, ${(output.bytes / 1024).toFixed(1)} KiB, self-contained`)
}
