// `npm test`: installs what is missing, builds the packages (subprocess tests import them),
// then runs the unit tests (vitest) and the browser tests (Playwright on Debian's Chromium),
// both to the end, and closes with one "N passed, N failed" line over both.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureChromium, ensureInstalled, run } from './setup.mjs'

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
const pack = run('npx', ['playwright', 'test', '-c', 'test/pack/playwright.config.ts', '--reporter=list,json'], { env: { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: packJson } })

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
const depsPassed = deps === 0 ? 1 : 0
console.log(`total: ${unitCounts.passed + e2eCounts.passed + packCounts.passed + depsPassed} passed, ${unitCounts.failed + e2eCounts.failed + packCounts.failed + 1 - depsPassed} failed`)
process.exit(unit === 0 && e2e === 0 && pack === 0 && deps === 0 ? 0 : 1)
