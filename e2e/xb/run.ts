// The cross-browser suite: every case of cases.ts in Firefox ESR and WebKitGTK (and Chromium with
// XB_BROWSERS), each case on a fresh browser and profile, against a Vite server of the test
// pages. Prints one line per case and a summary line per browser; writes
// e2e/xb/results/<browser>.json (version, features, results); with --docs, regenerates
// docs/browsers.md from the results there. A case that runs past its time fails (never a hang).
//   npx tsx e2e/xb/run.ts [--docs]        XB_BROWSERS=firefox,webkit,chromium  XB_GREP=text  E2E_PORT=5199
//   XB_RESULTS=dir (where the JSON goes; npm test reads its counts from there)
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer } from 'vite'
import { CASES, PAGE, type Case } from './cases.ts'
import { features as probe } from './bodies.ts'
import { launch, type BrowserName, type Tab, type XBrowser } from './drivers.ts'
import { matrix } from './matrix.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const resultsDir = process.env.XB_RESULTS ?? join(root, 'e2e/xb/results')
const port = Number(process.env.XB_PORT ?? process.env.E2E_PORT ?? 5200)
const base = `http://localhost:${port}`
const browsers = (process.env.XB_BROWSERS ?? 'firefox,webkit').split(',').filter(Boolean) as BrowserName[]
const grep = process.env.XB_GREP
const CASE_MS = Number(process.env.XB_CASE_MS ?? 150_000)

export type CaseResult = { name: string; ok: boolean; ms: number; error?: string; skipped?: boolean; notes?: string[] }
export type BrowserResult = { browser: BrowserName; version: string; date: string; features: Record<string, string>; cases: CaseResult[] }

function timeout<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms)))]).finally(() => clearTimeout(timer))
}

async function runCase(name: BrowserName, c: Case, features: Record<string, string>, n: number): Promise<CaseResult> {
  const started = Date.now()
  let browser: XBrowser | undefined
  const notes: string[] = []
  try {
    browser = await timeout(60_000, 'launch', launch(name, base))
    const b = browser
    let dbs = 0
    await timeout(CASE_MS, c.name, c.run({ browser: b, features, tab: () => b.newTab(PAGE), note: (t) => notes.push(t), db: (label) => `xb${n}-${label}-${dbs++}` }))
    return { name: c.name, ok: true, ms: Date.now() - started, ...(notes.length ? { notes } : {}) }
  } catch (e) {
    return { name: c.name, ok: false, ms: Date.now() - started, error: e instanceof Error ? e.message : String(e) }
  } finally {
    await browser?.close().catch(() => {})
  }
}

async function runBrowser(name: BrowserName): Promise<BrowserResult> {
  const b = await launch(name, base)
  let features: Record<string, string>
  let version: string
  try {
    version = b.version
    const tab: Tab = await b.newTab(PAGE)
    features = await timeout(60_000, 'feature probe', tab.evaluate(probe, { name: '' }))
  } finally {
    await b.close()
  }
  console.log(`\n> ${version}: ${Object.entries(features).map(([k, v]) => `${k} ${v.startsWith('yes') ? 'yes' : 'no'}`).join(', ')}`)
  const cases: CaseResult[] = []
  for (const [i, c] of CASES.entries()) {
    if (grep && !c.name.includes(grep)) continue
    if (c.only && !c.only(name, features)) {
      cases.push({ name: c.name, ok: true, ms: 0, skipped: true })
      continue
    }
    const r = await runCase(name, c, features, i)
    cases.push(r)
    const extra = [...(r.notes ?? []).map((t) => `note: ${t}`), ...(r.error ? r.error.split('\n') : [])]
    console.log(`  ${r.ok ? '✓' : '✗'} [${name}] ${c.name} (${(r.ms / 1000).toFixed(1)} s)${extra.map((l) => `\n      ${l}`).join('')}`)
  }
  return { browser: name, version, date: new Date().toISOString().slice(0, 10), features, cases }
}

const server = await createServer({ configFile: join(root, 'vite.config.ts'), server: { port, strictPort: true }, logLevel: 'warn' })
await server.listen()
const all: BrowserResult[] = []
try {
  for (const name of browsers) {
    try {
      all.push(await runBrowser(name))
    } catch (e) {
      console.log(`  ✗ [${name}] could not start: ${e instanceof Error ? e.message : String(e)}`)
      all.push({ browser: name, version: 'unavailable', date: new Date().toISOString().slice(0, 10), features: {}, cases: [{ name: 'launch', ok: false, ms: 0, error: String(e) }] })
    }
  }
} finally {
  await server.close()
}
mkdirSync(resultsDir, { recursive: true })
for (const r of all) writeFileSync(join(resultsDir, `${r.browser}.json`), JSON.stringify(r, null, 2) + '\n')
if (process.argv.includes('--docs')) {
  const saved = readdirSync(resultsDir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as BrowserResult)
  writeFileSync(join(root, 'docs/browsers.md'), matrix(saved))
  console.log('\nwrote docs/browsers.md')
}
let failed = 0
console.log('')
for (const r of all) {
  const passed = r.cases.filter((c) => c.ok && !c.skipped).length
  const bad = r.cases.filter((c) => !c.ok).length
  failed += bad
  console.log(`xb ${r.browser}: ${passed} passed, ${bad} failed`)
}
process.exit(failed ? 1 : 0)
