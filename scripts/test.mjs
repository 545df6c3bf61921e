// `npm test`: installs what is missing, builds the packages (subprocess tests import them),
// then runs the unit tests (vitest) and the browser tests (Playwright on Debian's Chromium),
// both to the end, and closes with one "N passed, N failed" line over both.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
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
console.log('\n> unit tests (vitest)')
const unit = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${unitJson}`], { env })
console.log('\n> browser tests (playwright, headless Chromium, persistent profile)')
const e2e = run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts', '--reporter=list,json'], { env })
console.log('\n> install-and-run tests (test/pack: pnpm pack, npm install into apps outside the repo, Vite/webpack/esbuild builds, Node, dbctl)')
const packJson = join(reports, 'pack.json')
const levelChromium = join(reports, 'level-chromium.json')
const pack = run('npx', ['playwright', 'test', '-c', 'test/pack/playwright.config.ts', '--reporter=list,json'], { env: { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: packJson, COWDB_LEVEL_COUNTS: levelChromium } })
console.log('\n> abstract-level test suite on @cowdb/level in Node (tape, every assertion counted; Chromium ran in the pack step)')
const level = levelSuite(['memory', 'node'], levelChromium)

const read = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined)
const u = read(unitJson)
const p = read(e2eJson)
const unitCounts = u ? { passed: u.numPassedTests, failed: u.numFailedTests + (unit !== 0 && !u.numFailedTests ? 1 : 0) } : { passed: 0, failed: 1 }
const e2eCounts = p ? { passed: p.stats.expected, failed: p.stats.unexpected + p.stats.flaky + (e2e !== 0 && !p.stats.unexpected ? 1 : 0) } : { passed: 0, failed: 1 }
const pk = read(packJson)
const packCounts = pk ? { passed: pk.stats.expected, failed: pk.stats.unexpected + pk.stats.flaky + (pack !== 0 && !pk.stats.unexpected ? 1 : 0) } : { passed: 0, failed: 1 }
rmSync(reports, { recursive: true, force: true })
console.log(`\ndeps: ${deps === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed'}`)
console.log(`unit: ${unitCounts.passed} passed, ${unitCounts.failed} failed`)
console.log(`browser: ${e2eCounts.passed} passed, ${e2eCounts.failed} failed`)
console.log(`pack: ${packCounts.passed} passed, ${packCounts.failed} failed`)
console.log(`level: ${level.passed} passed, ${level.failed} failed`)
const depsPassed = deps === 0 ? 1 : 0
console.log(`total: ${unitCounts.passed + e2eCounts.passed + packCounts.passed + level.passed + depsPassed} passed, ${unitCounts.failed + e2eCounts.failed + packCounts.failed + level.failed + 1 - depsPassed} failed`)
process.exit(unit === 0 && e2e === 0 && pack === 0 && deps === 0 && level.failed === 0 ? 0 : 1)

/** tape's assertion counts of the abstract-level suite, per store in Node, plus Chromium's from the pack step. */
function levelSuite(stores, chromiumCounts) {
  const total = { passed: 0, failed: 0 }
  const add = (where, c) => {
    console.log(`  ${where}: ${c.passed} assertions passed, ${c.failed} failed`)
    total.passed += c.passed
    total.failed += c.failed
  }
  for (const store of stores) {
    const r = spawnSync('npx', ['tsx', 'packages/level/test/abstract-level.ts', store], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 })
    const out = `${r.stdout}\n${r.stderr}`
    for (const line of out.split('\n')) if (line.startsWith('not ok')) console.log(`  ${line}`)
    const count = (re) => Number(out.match(re)?.[1] ?? 0)
    add(`Node, ${store} store`, { passed: count(/^# pass\s+(\d+)/m), failed: count(/^# fail\s+(\d+)/m) + (r.status !== 0 && !/^# fail/m.test(out) ? 1 : 0) })
  }
  add('Chromium, browser client', existsSync(chromiumCounts) ? JSON.parse(readFileSync(chromiumCounts, 'utf8')) : { passed: 0, failed: 1 })
  return total
}
