// Bundle-size budgets (`npx size-limit`; checked in npm test by test/pack/size.spec.ts). Each entry
// is bundled and minified with esbuild as an ES module (as apps ship it) and measured gzipped.
// The client must stay small: the engine runs in the worker, and the main thread only needs the
// promise API, the key codec, the transaction buffer and the error classes. The main-thread read
// path (fast-read.js: reads from the worker's shared page cache) is a chunk of its own, loaded with
// `import()` only on a cross-origin isolated page: outside the client's budget, inside its own.
const esm = (config) => ({ ...config, format: 'esm' })
/** The client as bundlers that split at `import()` (Vite, webpack, Rollup) ship it: the lazy chunk apart. */
const lazyChunkApart = (config) => ({
  ...esm(config),
  plugins: [...(config.plugins ?? []), { name: 'lazy-chunk', setup: (b) => b.onResolve({ filter: /\/fast-read\.js$/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined)) }],
})

export default [
  {
    name: '@cowdb/browser client: openDB() and the main-thread API',
    path: 'packages/browser/dist/index.js',
    import: '{ openDB }',
    gzip: true,
    limit: '14.5 kB', // 13.9 kB before the leaner batch path (issue #16: keys encoded into a batch's shared buffers) made it 14.1
    modifyEsbuildConfig: lazyChunkApart,
  },
  {
    name: '@cowdb/browser shared-memory reads: dist/fast-read.js, loaded on cross-origin isolated pages (alone: the codecs it shares with the client counted again)',
    path: 'packages/browser/dist/fast-read.js',
    gzip: true,
    limit: '10 kB',
    modifyEsbuildConfig: esm,
  },
  {
    name: '@cowdb/browser worker: dist/worker.js (the engine, idb, the value codec)',
    path: 'packages/browser/dist/worker.js',
    gzip: true,
    limit: '60 kB', // 48 kB before tenants (issue #19), which add 3.6 kB; shared-memory reads (publisher, shared-cache, page-publish, the followers' mirror) add 3.1 kB; stepped compaction, pacing and the batch sort (issue #16) 2.9 kB
    modifyEsbuildConfig: esm,
  },
  {
    name: "@cowdb/sync browser worker: dist/browser-worker.js (cowdb's worker plus the sync host; only apps that sync load it)",
    path: 'packages/sync/dist/browser-worker.js',
    gzip: true,
    limit: '82 kB', // cowdb's worker (57.3 kB) + the sync client and msgpackr's packer
    modifyEsbuildConfig: esm,
  },
]
