// Bundle-size budgets (`npx size-limit`; checked in npm test by test/pack/size.spec.ts). Each entry
// is bundled and minified with esbuild as an ES module (as apps ship it) and measured gzipped.
// The client must stay small: the engine runs in the worker, and the main thread only needs the
// promise API, the key codec, the transaction buffer and the error classes.
const esm = (config) => ({ ...config, format: 'esm' })

export default [
  {
    name: '@cowdb/browser client: openDB() and the main-thread API',
    path: 'packages/browser/dist/index.js',
    import: '{ openDB }',
    gzip: true,
    limit: '14 kB',
    modifyEsbuildConfig: esm,
  },
  {
    name: '@cowdb/browser worker: dist/worker.js (the engine, idb, the value codec)',
    path: 'packages/browser/dist/worker.js',
    gzip: true,
    limit: '52 kB', // 48 kB before tenants (issue #19), which add 3.6 kB to the worker
    modifyEsbuildConfig: esm,
  },
]
