// `npm test`: installs what is missing, builds the packages (subprocess tests import them),
// then checks the import graph (madge), the Prometheus rules and a real metrics() output
// (promtool), runs the unit tests (vitest) and the browser tests (Playwright on Debian's
// Chromium), all to the end, and closes with one "N passed, N failed" line over them.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureChromium, ensureInstalled, root, run } from './setup.mjs'

ensureInstalled()
if (run('node', ['scripts/pnpm.mjs', 'run', '-r', 'build']) !== 0) process.exit(1)
const chromium = ensureChromium()
const reports = mkdtempSync(join(tmpdir(), 'cowdb-test-'))
const unitJson = join(reports, 'unit.json')
const e2eJson = join(reports, 'e2e.json')
const env = { ...process.env, CHROMIUM_PATH: chromium, PLAYWRIGHT_JSON_OUTPUT_NAME: e2eJson }

console.log('\n> import graph (madge): no cycles, database.ts only behind the index')
const deps = run('node', ['scripts/check-deps.mjs'], { env })
console.log('\n> alerting rules and metrics (promtool)')
const promCounts = promtoolChecks(reports)
console.log('\n> unit tests (vitest)')
const unit = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${unitJson}`], { env })
console.log('\n> browser tests (playwright, headless Chromium, persistent profile)')
const e2e = run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts', '--reporter=list,json'], { env })

const read = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined)
const u = read(unitJson)
const p = read(e2eJson)
const unitCounts = u ? { passed: u.numPassedTests, failed: u.numFailedTests + (unit !== 0 && !u.numFailedTests ? 1 : 0) } : { passed: 0, failed: 1 }
const e2eCounts = p ? { passed: p.stats.expected, failed: p.stats.unexpected + p.stats.flaky + (e2e !== 0 && !p.stats.unexpected ? 1 : 0) } : { passed: 0, failed: 1 }
rmSync(reports, { recursive: true, force: true })
console.log(`\ndeps: ${deps === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed'}`)
console.log(`unit: ${unitCounts.passed} passed, ${unitCounts.failed} failed`)
console.log(`browser: ${e2eCounts.passed} passed, ${e2eCounts.failed} failed`)
console.log(`promtool: ${promCounts.passed} passed, ${promCounts.failed} failed`)
const depsPassed = deps === 0 ? 1 : 0
console.log(`total: ${unitCounts.passed + e2eCounts.passed + depsPassed + promCounts.passed} passed, ${unitCounts.failed + e2eCounts.failed + 1 - depsPassed + promCounts.failed} failed`)
process.exit(unit === 0 && e2e === 0 && deps === 0 && promCounts.failed === 0 ? 0 : 1)

/**
 * promtool (from Debian's `prometheus` package, installed when missing) checks
 * ops/prometheus/cowdb-rules.yml, runs its unit tests, and lints the metrics() text of a real
 * Node store (the built @cowdb/node). Returns how many of the three checks passed and failed.
 */
function promtoolChecks(dir) {
  const has = () => spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0
  if (!has()) {
    console.log("> installing promtool from Debian's package 'prometheus' (apt-get)")
    const sudo = process.getuid?.() === 0 ? [] : ['sudo']
    const apt = (args) => run(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), ...args], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    if (apt(['update', '-qq']) !== 0 || apt(['install', '-y', '-qq', '--no-install-recommends', 'prometheus']) !== 0 || !has()) {
      console.error('promtool: could not install it (apt-get install prometheus); 3 checks not run')
      return { passed: 0, failed: 3 }
    }
  }
  const sample = spawnSync('node', ['--input-type=module', '-e', `import { open } from './packages/node/dist/index.js'
    const db = await open(${JSON.stringify(join(dir, 'store'))}, { retention: { keepLast: 10 } })
    for (let i = 0; i < 200; i++) await db.put('k' + i, { i })
    await db.snapshot({ label: 'promtool' })
    await db.gc()
    process.stdout.write(await db.metrics())
    await db.close()`], { cwd: root, encoding: 'utf8' })
  if (sample.status !== 0) console.error(sample.stderr)
  const promtool = (args, input) => spawnSync('promtool', args, { cwd: root, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'] }).status === 0
  const results = [
    ['check rules', promtool(['check', 'rules', 'ops/prometheus/cowdb-rules.yml'])],
    ['test rules', promtool(['test', 'rules', 'ops/prometheus/cowdb-rules.test.yml'])],
    ['check metrics (a real metrics() output)', sample.status === 0 && promtool(['check', 'metrics'], sample.stdout)],
  ]
  for (const [name, ok] of results) console.log(`promtool ${name}: ${ok ? 'ok' : 'FAILED'}`)
  const passed = results.filter(([, ok]) => ok).length
  return { passed, failed: results.length - passed }
}
