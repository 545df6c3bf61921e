// `npm test`: installs what is missing, builds the packages (subprocess tests import them),
// then runs the unit tests (vitest), the browser tests (Playwright on Debian's Chromium) and the
// cross-browser suite (e2e/xb: Firefox ESR, WebKitGTK, and Chromium), all to the end, and closes with one
// count line per suite and browser, then one "N passed, N failed" line over all.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureChromium, ensureInstalled, ensureOtherBrowsers, run } from './setup.mjs'

ensureInstalled()
if (run('node', ['scripts/pnpm.mjs', 'run', '-r', 'build']) !== 0) process.exit(1)
const chromium = ensureChromium()
ensureOtherBrowsers()
const reports = mkdtempSync(join(tmpdir(), 'cowdb-test-'))
const unitJson = join(reports, 'unit.json')
const e2eJson = join(reports, 'e2e.json')
const env = { ...process.env, CHROMIUM_PATH: chromium, PLAYWRIGHT_JSON_OUTPUT_NAME: e2eJson }

console.log('\n> unit tests (vitest)')
const unit = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${unitJson}`], { env })
console.log('\n> browser tests (playwright, headless Chromium, persistent profile)')
const e2e = run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts', '--reporter=list,json'], { env })

console.log('\n> cross-browser tests (e2e/xb: Firefox ESR, WebKitGTK, and Chromium for the IndexedDB store and partial clearing)')
const xbDir = join(reports, 'xb')
const xb = run('npx', ['tsx', 'e2e/xb/run.ts'], { env: { ...env, XB_BROWSERS: 'firefox,webkit,chromium', XB_RESULTS: xbDir } })

const read = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined)
const u = read(unitJson)
const p = read(e2eJson)
const unitCounts = u ? { passed: u.numPassedTests, failed: u.numFailedTests + (unit !== 0 && !u.numFailedTests ? 1 : 0) } : { passed: 0, failed: 1 }
const e2eCounts = p ? { passed: p.stats.expected, failed: p.stats.unexpected + p.stats.flaky + (e2e !== 0 && !p.stats.unexpected ? 1 : 0) } : { passed: 0, failed: 1 }
// each browser of the cross-browser suite with its own count (a browser that could not be
// installed or started counts as one failure)
const xbCounts = ['firefox', 'webkit', 'chromium'].map((b) => {
  const r = read(join(xbDir, `${b}.json`))
  if (!r) return { label: b, passed: 0, failed: 1 }
  const cases = r.cases.filter((c) => !c.skipped)
  return { label: `${b === 'chromium' ? 'chromium, cross-browser suite' : b} (${r.version})`, passed: cases.filter((c) => c.ok).length, failed: cases.filter((c) => !c.ok).length }
})
if (xb !== 0 && xbCounts.every((c) => c.failed === 0)) xbCounts[0].failed++
rmSync(reports, { recursive: true, force: true })
const lines = [{ label: 'unit', ...unitCounts }, { label: 'browser (chromium, playwright)', ...e2eCounts }, ...xbCounts]
console.log('')
for (const l of lines) console.log(`${l.label}: ${l.passed} passed, ${l.failed} failed`)
const total = lines.reduce((t, l) => ({ passed: t.passed + l.passed, failed: t.failed + l.failed }), { passed: 0, failed: 0 })
console.log(`total: ${total.passed} passed, ${total.failed} failed`)
process.exit(unit === 0 && e2e === 0 && xb === 0 ? 0 : 1)
