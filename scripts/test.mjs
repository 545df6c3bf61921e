// `npm test`: installs what is missing, builds the packages (subprocess tests import them),
// then runs every suite to the end: the import graph (madge), the Prometheus rules and a real
// metrics() output (promtool), the unit tests (vitest), the browser tests (Playwright on Debian's
// Chromium). Each suite prints its own summary line; the last line adds them up.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureChromium, ensureInstalled, ensureOtherBrowsers, run } from './setup.mjs'
import { promtoolChecks } from './steps/promtool.mjs'
import { syncOnPostgres } from './steps/sync-postgres.mjs'
import { levelSuite, packTests } from './steps/pack.mjs'
import { firstLine, playwrightCounts, vitestCounts } from './steps/reports.mjs'

ensureInstalled()
if (run('node', ['scripts/pnpm.mjs', 'run', '-r', 'build']) !== 0) process.exit(1)
const chromium = ensureChromium()
ensureOtherBrowsers()
const reports = mkdtempSync(join(tmpdir(), 'cowdb-test-'))
const env = { ...process.env, CHROMIUM_PATH: chromium }
const read = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined)
/** A suite that passes or fails as a whole: one check. */
const single = (code) => ({ passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 })

/** The suites, in order: each returns its counts (a crash or a missing report counts as a failure). */
const suites = [
  ['deps', 'import graph (madge): no cycles, database.ts only behind the index', () => single(run('node', ['scripts/check-deps.mjs'], { env }))],
  ['promtool', 'alerting rules and metrics (promtool)', () => promtoolChecks(reports)],
  ['unit', 'unit tests (vitest)', () => {
    const out = join(reports, 'unit.json')
    const code = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], { env })
    return vitestCounts(out, code, 'unit')
  }],
  ['browser', 'browser tests (playwright, headless Chromium, persistent profile)', () => {
    const out = join(reports, 'e2e.json')
    const code = run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts', '--reporter=list,json'], { env: { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: out } })
    return playwrightCounts(out, code, 'browser')
  }],
  ['pack', 'install-and-run tests (test/pack: pnpm pack, npm install into apps outside the repo; Vite, webpack, esbuild, Node, dbctl, example)', () => packTests(reports, env)],
  ['level', 'abstract-level suite on @cowdb/level (tape, every assertion counted)', () => levelSuite(reports)],
  ['sync on postgres', 'sync suites on a real Postgres (Debian postgresql, temporary cluster)', () => syncOnPostgres(env, reports)],
  ...['firefox', 'webkit', 'chromium'].map((b) => [`xb ${b}`, `cross-browser tests (e2e/xb) in ${b}${b === 'chromium' ? ': the IndexedDB store and partial clearing' : ''}`, () => crossBrowser(b)]),
]

/** The cross-browser suite in one browser (a browser that could not be installed or started fails). */
function crossBrowser(browser) {
  const dir = join(reports, `xb-${browser}`)
  const code = run('npx', ['tsx', 'e2e/xb/run.ts'], { env: { ...env, XB_BROWSERS: browser, XB_RESULTS: dir } })
  const r = read(join(dir, `${browser}.json`))
  if (!r) return { passed: 0, failed: 1, failures: [`xb ${browser}: no report (exit ${code})`] }
  const cases = r.cases.filter((c) => !c.skipped)
  const failed = cases.filter((c) => !c.ok)
  const failures = failed.map((c) => `xb ${browser}: ${c.name}${c.error ? ` — ${firstLine(String(c.error))}` : ''}`)
  if (code !== 0 && !failed.length) failures.push(`xb ${browser}: exit ${code} with no failed case`)
  return { passed: cases.length - failed.length, failed: failures.length, failures }
}

const counts = []
const minutes = (ms) => `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`
for (const [name, title, suite] of suites) {
  console.log(`\n> ${title}`)
  const started = Date.now()
  counts.push([name, suite(), Date.now() - started])
}
rmSync(reports, { recursive: true, force: true })
console.log('')
// the failed tests by name, just above the summary lines (CI shows the tail of the log)
const failures = counts.flatMap(([name, c]) => c.failures ?? (c.failed ? [`${name}: ${c.failed} failed (see the suite's output above)`] : []))
for (const f of failures) console.log(`FAILED ${f}`)
if (failures.length) console.log('')
for (const [name, c, ms] of counts) console.log(`${name}: ${c.passed} passed, ${c.failed} failed (${minutes(ms)})`)
const total = counts.reduce((t, [, c]) => ({ passed: t.passed + c.passed, failed: t.failed + c.failed }), { passed: 0, failed: 0 })
console.log(`total: ${total.passed} passed, ${total.failed} failed`)
process.exit(total.failed === 0 ? 0 : 1)
