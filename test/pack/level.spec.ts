// abstract-level's own test suite (on tape) against @cowdb/level over @cowdb/browser, in Chromium:
// the packages installed from their tarballs, bundled with esbuild as the guide says (the worker
// copied beside the bundle, its URL passed as `worker`), the data in OPFS and IndexedDB through
// the worker. (The suite opens a database per test, over a thousand: each is a branch of one
// browser database, not a worker each. Opening and closing real databases is what the Node run of
// the suite and the bundler tests cover.) tape's assertion counts go to $COWDB_LEVEL_COUNTS
// (npm test's "level" line).
import { cpSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeApp, npmInstall, origin, serve, sh, tarball, tools } from './apps'
import { collectErrors, expect, test } from '../../e2e/fixtures'

// tape is written for Node: in a browser it needs the browserify shims of `stream`, `path` and
// `process`, from the registry. abstract-level's `events` comes with @cowdb/level.
const SHIMS = ['tape@5', 'stream-browserify@3', 'path-browserify@1', 'process@0.11']

test('the abstract-level suite passes in Chromium over the browser client, every assertion counted', async ({ page }) => {
  test.setTimeout(30 * 60_000)
  const app = makeApp('level-suite', {
    'package.json': JSON.stringify({ name: 'cowdb-level-suite', private: true, type: 'module' }),
    'process-shim.js': "import process from 'process/browser.js'\nexport { process }\n",
    'src/main.js': `import test from 'tape'
import suite from 'abstract-level/test/index.js'
import { openDB } from '@cowdb/browser'
import { CowdbLevel } from '@cowdb/level'

const out = []
test.createStream().on('data', (line) => out.push(line))
test.onFinish(() => { window.tap = out.join('') })
// One browser database; every database the suite asks for is a new branch of it (an empty head,
// persistent across the suite's close and reopen), so the suite needs no worker per database.
// (opened on first use: tape starts running on the tick after the tests are declared)
const opening = openDB('level-suite', { worker: new URL('./cowdb-worker.js', import.meta.url) })
let n = 0
suite({
  test,
  factory(options) {
    const name = 'db-' + ++n
    let made
    return new CowdbLevel(async () => {
      const shared = await opening
      await (made ??= shared.branch(name))
      const view = shared.onBranch(name)
      const bind = (m) => view[m].bind(view)
      return {
        get: bind('get'), getMany: bind('getMany'), put: bind('put'), delete: bind('delete'), batch: bind('batch'),
        deleteRange: bind('deleteRange'), scan: bind('scan'), snapshot: bind('snapshot'),
        dropSnapshot: (id) => shared.dropSnapshot(id),
        close: async () => {}, // the branch stays, as a closed database's files would
      }
    }, options)
  },
})
`,
    'dist/index.html': '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>\n',
  })
  expect(npmInstall(app, [tarball('core'), tarball('browser'), tarball('level'), ...SHIMS])).toEqual([])
  sh(tools.esbuild, ['src/main.js', '--bundle', '--format=esm', '--outdir=dist', '--alias:stream=stream-browserify', '--alias:path=path-browserify', '--inject:./process-shim.js', '--define:global=globalThis'], { cwd: app })
  cpSync(join(app, 'node_modules/@cowdb/browser/dist/worker.js'), join(app, 'dist/cowdb-worker.js'))
  const server = await serve(join(app, 'dist'))
  try {
    const errors = collectErrors(page)
    await page.goto(origin)
    const tap = (await (await page.waitForFunction(() => (window as { tap?: string }).tap, undefined, { timeout: 28 * 60_000, polling: 1000 })).jsonValue()) as string
    const count = (re: RegExp) => Number(tap.match(re)?.[1] ?? NaN)
    const counts = { passed: count(/^# pass\s+(\d+)/m), failed: tap.includes('\n# fail') ? count(/^# fail\s+(\d+)/m) : 0 }
    console.log(`abstract-level suite in Chromium: ${counts.passed} assertions passed, ${counts.failed} failed`)
    if (process.env.COWDB_LEVEL_COUNTS) writeFileSync(process.env.COWDB_LEVEL_COUNTS, JSON.stringify(counts))
    const failures = tap.split('\n').filter((l) => l.startsWith('not ok'))
    expect(failures).toEqual([])
    expect(counts.failed).toBe(0)
    expect(counts.passed).toBeGreaterThan(4000) // the whole suite ran (4,664 assertions in abstract-level 3.1)
    expect(errors).toEqual([])
  } finally {
    await server.close()
  }
})
