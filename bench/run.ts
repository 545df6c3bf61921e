// npm run bench: every benchmark, printed as tables with cowdb's ratio to each peer, and written
// to bench/results/latest.json. Flags: --quick (small sizes), --only node|soak|browser.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from '@playwright/test'
import { createServer } from 'vite'
import { nodeBench, snapshotScaling } from './node.ts'
import { historyBench, subscribeBench } from './history.ts'
import { soak } from './soak.ts'
import { gcBench } from './gc.ts'
import { table, type Row } from './measure.ts'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
const root = fileURLToPath(new URL('..', import.meta.url))
const results: Record<string, Row[]> = {}
const out: string[] = []
const print = (title: string, rows: Row[]) => {
  results[title] = rows
  const t = table(title, rows)
  out.push(t)
  console.log('\n' + t)
}

if (only === undefined || only === 'node') {
  const n = quick ? 10_000 : 100_000
  console.log(`node ${process.version}: cowdb vs lmdb, ${n} random keys, 100-byte values`)
  print(`Node: cowdb vs lmdb (${n.toLocaleString('en-US')} keys)`, await nodeBench(n, quick))
  print('Node: snapshot() time vs store size', await snapshotScaling(quick ? [10_000, 100_000] : [10_000, 1_000_000]))
  print('Node: time travel vs store size (diff, branch, restore, undo)', await historyBench(quick ? [10_000, 100_000] : [10_000, 1_000_000]))
  print('Node: gc while a writer commits', [...(await gcBench(quick ? 100_000 : 1_000_000))])
  print('Node: what a subscribe() listener costs writers', await subscribeBench(quick ? 10_000 : 100_000, quick ? 50 : 200))
}

if (only === undefined || only === 'node' || only === 'soak') {
  const total = quick ? 100_000 : 1_000_000
  console.log(`\nsoak: ${total} overwrites of 10,000 keys, commits of 10, retention keepLast: 10`)
  print(`Soak: ${total.toLocaleString('en-US')} overwrites of 10,000 keys, last 10 commits kept`, await soak(total))
}

if (only === undefined || only === 'browser') {
  const server = await createServer({ configFile: join(root, 'vite.config.ts'), root: join(root, 'bench/browser'), server: { port: 5198, strictPort: true }, logLevel: 'error' })
  await server.listen()
  const profile = mkdtempSync(join(tmpdir(), 'cowdb-bench-profile-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  try {
    const page = context.pages()[0] ?? (await context.newPage())
    page.on('pageerror', (e) => console.error('page error:', e))
    await page.goto('http://localhost:5198/')
    await page.waitForFunction(() => document.body.textContent === 'ready')
    const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent))
    const n = quick ? 10_000 : 100_000
    console.log(`\nChromium ${version}: cowdb vs IndexedDB, ${n} random keys, 100-byte values (persistent profile)`)
    const rows = (await page.evaluate(([n, reads, reps]) => (window as any).runBench(n, reads, reps), [n, quick ? 5_000 : 20_000, quick ? 1 : 3])) as Row[]
    print(`Browser: cowdb vs IndexedDB (${n.toLocaleString('en-US')} keys)`, rows)
  } finally {
    await context.close()
    await server.close()
    rmSync(profile, { recursive: true, force: true })
  }
}

mkdirSync(join(root, 'bench/results'), { recursive: true })
writeFileSync(join(root, 'bench/results/latest.json'), JSON.stringify({ date: new Date().toISOString(), quick, node: process.version, results }, null, 2))
writeFileSync(join(root, 'bench/results/latest.md'), out.join('\n\n') + '\n')
console.log('\nwritten: bench/results/latest.json, bench/results/latest.md')
