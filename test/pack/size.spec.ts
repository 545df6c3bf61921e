// Bundle sizes: size-limit's budgets (.size-limit.js) for the client, its lazy shared-memory read
// chunk and the worker, minified and gzipped; and the client bundle, as an app's bundler builds
// it, carries none of the engine.
import { join } from 'node:path'
import { build } from 'esbuild'
import { repo, sh } from './apps'
import { expect, test } from '../../e2e/fixtures'

test('the client, its lazy chunk, the worker and the sync worker are within their size budgets', () => {
  const results = JSON.parse(sh('npx', ['size-limit', '--json'], { cwd: repo }).stdout) as { name: string; passed: boolean; size: number; sizeLimit: number }[]
  for (const r of results) console.log(`${r.name}: ${(r.size / 1000).toFixed(2)} kB (budget ${(r.sizeLimit / 1000).toFixed(0)} kB)`)
  expect(results.map((r) => r.name)).toHaveLength(4)
  expect(results.filter((r) => !r.passed)).toEqual([])
})

test("the client's bundle carries none of the engine (tree, pager, WAL, GC, database)", async () => {
  const r = await build({
    stdin: { contents: "export { openDB } from '@cowdb/browser'", resolveDir: join(repo, 'bench') },
    bundle: true,
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'error',
  })
  // what ends up in the output (esbuild parses every module the index names, and drops the unused)
  const [output] = Object.values(r.metafile.outputs)
  const inputs = Object.entries(output!.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f)
  expect(inputs.some((f) => f.includes('packages/browser/dist/client.js'))).toBe(true)
  expect(inputs.filter((f) => /packages\/core\/dist\/(database|btree|pager|wal|gc|compact|page|cache)\.js$/.test(f))).toEqual([])
})
