// `npm test`: installs what is missing, then runs the unit tests (vitest) and the browser tests
// (Playwright on Debian's Chromium), both to the end; exits non-zero if either failed.
import { ensureChromium, ensureInstalled, run } from './setup.mjs'

ensureInstalled()
// Subprocess tests (dbctl, the crash writer) import the built packages.
if (run('node', ['scripts/pnpm.mjs', 'run', '-r', 'build']) !== 0) process.exit(1)
const chromium = ensureChromium()
const env = { ...process.env, CHROMIUM_PATH: chromium }
console.log('\n> unit tests (vitest)')
const unit = run('npx', ['vitest', 'run'], { env })
console.log('\n> browser tests (playwright, headless Chromium, persistent profile)')
const e2e = run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts'], { env })
console.log(`\nunit: ${unit === 0 ? 'passed' : 'FAILED'}, browser: ${e2e === 0 ? 'passed' : 'FAILED'}`)
process.exit(unit === 0 && e2e === 0 ? 0 : 1)
