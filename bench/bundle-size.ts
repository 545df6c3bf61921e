// Bundle sizes of the browser package as an app gets them: the main-thread client (an app that
// imports openDB from '@cowdb/browser', its lazy chunk apart, as bundlers that split at import()
// ship it), that chunk (dist/fast-read.js: reads from shared memory, loaded on cross-origin
// isolated pages; alone, so the codecs it shares with the client count again) and the worker
// (dist/worker.js with everything it imports), each bundled by esbuild, minified, and gzipped.
// Run after `npm run build`:
//   npx tsx bench/bundle-size.ts [repo root]
import { build } from 'esbuild'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const root = process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'cowdb-size-'))
const app = join(dir, 'app.js')
writeFileSync(app, "import { openDB } from '@cowdb/browser'\nopenDB('notes').then((db) => db.put('k', 1))\n")

/** KiB of one bundle: unminified, minified, minified + gzip; and its three largest inputs. */
/** Leaves the client's lazy chunk out of its bundle (as .size-limit.js does). */
const lazyChunkApart = { name: 'lazy-chunk', setup: (b: import('esbuild').PluginBuild) => b.onResolve({ filter: /\/fast-read\.js$/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined)) }

async function measure(entry: string) {
  const kib = (n: number) => Math.round((n / 1024) * 10) / 10
  const out: Record<string, number | string> = {}
  for (const minify of [false, true]) {
    const r = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', minify, write: false, metafile: true, logLevel: 'error', nodePaths: [join(root, 'bench/node_modules')], plugins: [lazyChunkApart] })
    const js = r.outputFiles.find((f) => !f.path.endsWith('.map'))!.contents
    if (!minify) out.raw = kib(js.length)
    else {
      out.min = kib(js.length)
      out.gzip = kib(gzipSync(js).length)
      const inputs = Object.entries(Object.values(r.metafile.outputs)[0]!.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
      out.largest = inputs.slice(0, 3).map(([f, i]) => `${f.replace(/.*node_modules\//, '').replace(/.*packages\//, '')} ${kib(i.bytesInOutput)}`).join(', ')
    }
  }
  return out
}

try {
  const rows = { client: await measure(app), 'fast-read (lazy)': await measure(join(root, 'packages/browser/dist/fast-read.js')), worker: await measure(join(root, 'packages/browser/dist/worker.js')) }
  console.log('KiB: raw = bundled unminified, min = minified, gzip = minified + gzip')
  console.table(rows)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
