// npm run bench: every benchmark, printed as tables with cowdb's ratio to each peer, and written
// to bench/results/latest.json. Flags: --quick (small sizes), --only node|tenants|soak|batches|space|sync|browser|peers|shared|ab
// (space: soak, small store and batches; peers: only the browser peer tables, Chromium and Firefox;
// shared: only the reads that never leave the tab).
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from '@playwright/test'
import { createServer } from 'vite'
import { nodeBench, snapshotScaling } from './node.ts'
import { historyBench, subscribeBench } from './history.ts'
import { smallStore, soak } from './soak.ts'
import { batchBench } from './batches.ts'
import { gcBench } from './gc.ts'
import { valueCodecs } from './values.ts'
import { levelRows, levelWorkload } from './level.ts'
import { open } from '@cowdb/node'
import { ClassicLevel } from 'classic-level'
import { CowdbLevel } from '@cowdb/level'
import { keyCodec } from './keys.ts'
import { migrateBench } from './migrate.ts'
import { syncBench } from './sync.ts'
import { ratio, table, type Row } from './measure.ts'
import { abBench } from './ab.ts'
import { tenantsBench } from './tenants.ts'
import { sharedReadsRows } from './shared.ts'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
const root = fileURLToPath(new URL('..', import.meta.url))
const results: Record<string, Row[]> = {}
const out: string[] = []
const versions: Record<string, unknown> = {}
/** Total size of the files under `dir` (0 if it does not exist). */
function dirBytes(dir: string): number {
  let total = 0
  for (const e of existsSync(dir) ? readdirSync(dir, { withFileTypes: true, recursive: true }) : []) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size
  }
  return total
}
const packageVersion = (pkg: string) => JSON.parse(readFileSync(join(root, 'bench/node_modules', pkg, 'package.json'), 'utf8')).version as string

/** Draws cowdb's ratio to each peer in the browser session and saves a PNG (to docs/ on a full run). */
async function chartRatios(context: BrowserContext, title: string, rows: Row[], quick: boolean) {
  const peers = [...new Set(rows.flatMap((r) => Object.keys(r.peers)))]
  const data = {
    title: `cowdb vs each peer, ${title.replace('Browser: ', '')}`,
    workloads: rows.map((r) => `${r.workload.replace(/ \(.*$/, '')} (${r.unit})`),
    peers: Object.fromEntries(peers.map((p) => [p, rows.map((r) => ratio(r, p) ?? null)])),
  }
  const page = await context.newPage()
  page.on('pageerror', (e) => console.error('chart page error:', e))
  page.on('console', (m) => console.log(`  [chart] ${m.text()}`))
  await page.setViewportSize({ width: 1440, height: 860 })
  await page.goto('http://localhost:5198/chart.html')
  await page.waitForFunction(() => document.body.dataset.ready === 'yes')
  await page.evaluate((d) => (window as any).drawChart(d), data)
  const png = await page.locator('#box').screenshot()
  mkdirSync(join(root, 'bench/results'), { recursive: true })
  writeFileSync(join(root, 'bench/results/bench-ratios.png'), png)
  if (!quick) writeFileSync(join(root, 'docs/bench-ratios.png'), png)
  console.log(`chart: bench/results/bench-ratios.png${quick ? '' : ' and docs/bench-ratios.png'}`)
  await page.close()
}

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
  print("Node: value codec (cowdb's own) vs the msgpackr codec it replaced, cbor-x and JSON", valueCodecs(quick ? 0.3 : 1, quick ? 5 : 15))
  print('Node: key codec (encodeKey, decodeKey) on the bench key mix', keyCodec(quick ? 20_000 : 200_000))
  print('Node: gc while a writer commits', [...(await gcBench(quick ? 100_000 : 1_000_000))])
  print('Node: what a subscribe() listener costs writers', await subscribeBench(quick ? 10_000 : 100_000, quick ? 50 : 200))
  print('Node: format-1 store migrated on open (time, peak memory)', await migrateBench(quick ? 10_000 : 100_000))
  print(`Node: @cowdb/level vs classic-level, the same Level workload (${n.toLocaleString('en-US')} keys)`, await nodeLevel(n))
}

/** The Level workload on @cowdb/level (files) and classic-level (LevelDB), each in a new directory. */
async function nodeLevel(n: number): Promise<Row[]> {
  const dirs = [mkdtempSync(join(tmpdir(), 'cowdb-level-bench-')), mkdtempSync(join(tmpdir(), 'classic-level-bench-'))]
  try {
    const cow = new CowdbLevel<string, Uint8Array>(() => open(dirs[0]!))
    await cow.open()
    const cowdb = await levelWorkload(cow, n)
    await cow.close()
    const classic = new ClassicLevel<string, Uint8Array>(dirs[1]!)
    await classic.open()
    const peer = await levelWorkload(classic, n)
    await classic.close()
    versions['classic-level'] = packageVersion('classic-level')
    return levelRows(cowdb, 'classic-level', peer, n)
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
}

if (only === undefined || only === 'node' || only === 'tenants') {
  const [tenants, keys] = quick ? [100, 1000] : [1000, 1000]
  console.log(`\ntenants: ${tenants} tenants of ${keys} keys in one store`)
  print(`Node: ${tenants.toLocaleString('en-US')} tenants of ${keys.toLocaleString('en-US')} keys in one store`, await tenantsBench(tenants, keys, quick ? 2000 : 5000))
}

if (only === undefined || only === 'ab') {
  // the commit before database.ts was split: the split and the commit-path work beside it
  const ref = args.includes('--ab-ref') ? args[args.indexOf('--ab-ref') + 1]! : '7c5b7f1'
  const base = args.includes('--ab-base') ? args[args.indexOf('--ab-base') + 1]! : undefined
  const n = quick ? 10_000 : 100_000
  console.log(`\nA/B: ${base ?? 'this tree'} vs ${ref}, ${n} keys, rounds alternating`)
  print(`Node: ${base ? `commit ${base}` : 'this tree'} vs commit ${ref} (same run, alternating rounds)`, await abBench(root, ref, n, quick ? 3 : 9, base))
}

if (only === undefined || only === 'sync') {
  print('Sync: throughput, live latency, and a sync after one changed key (server in-process)', await syncBench(quick))
}

if (only === undefined || only === 'node' || only === 'soak' || only === 'space') {
  const total = quick ? 100_000 : 1_000_000
  console.log(`\nsoak: ${total} overwrites of 10,000 keys, commits of 10, retention keepLast: 10`)
  print(`Soak: ${total.toLocaleString('en-US')} overwrites of 10,000 keys, last 10 commits kept (the directory: pages, WAL, Meta)`, await soak(total))
  const smallTotal = quick ? 50_000 : 200_000
  print('Small store: 2,000 keys, 200,000 overwrites in batches of 100, last 5 commits kept, then close()', [...(await smallStore(2_000, smallTotal)), ...(await smallStore(2_000, smallTotal, 100, 1024))])
}

if (only === undefined || only === 'node' || only === 'batches' || only === 'space') {
  const n = quick ? 10_000 : 100_000
  console.log(`\nbatches: bulk load of ${n} keys and random batches into ${quick ? 100_000 : 1_000_000} keys, cowdb vs lmdb, rounds alternating`)
  // the main of issue #16's start (its codec included), before the leaner write path
  const ref = args.includes('--batches-ref') ? args[args.indexOf('--batches-ref') + 1]! : '2c34dae'
  print('Node: the write path for batches (keys/s beside lmdb; bytes allocated per key)', await batchBench(root, n, quick ? 100_000 : 1_000_000, quick ? 3 : 7, ref))
}

if (only === undefined || only === 'browser' || only === 'peers' || only === 'shared') {
  const server = await createServer({ configFile: join(root, 'bench/vite.config.ts'), server: { host: '0.0.0.0', port: 5198, strictPort: true }, logLevel: 'error' })
  await server.listen()
  const profile = mkdtempSync(join(tmpdir(), 'cowdb-bench-profile-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  try {
    // one page per origin: IndexedDB keeps one set of files per origin, so the two IndexedDB-based
    // peers each get their own origin and their on-disk sizes are measured apart
    const openPage = async (host: string) => {
      const page = context.pages().find((p) => p.url() === 'about:blank') ?? (await context.newPage())
      page.on('pageerror', (e) => console.error(`page error (${host}):`, e))
      page.on('console', (m) => m.type() === 'log' && console.log(`  [page] ${m.text()}`))
      const dir = join(profile, 'Default', 'IndexedDB')
      const mine = `http_${host}_5198.indexeddb`
      await page.exposeFunction('indexedDbDiskBytes', () =>
        existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith(mine)).reduce((t, d) => t + dirBytes(join(dir, d)), 0) : 0,
      )
      await page.goto(`http://${host}:5198/`)
      await page.waitForFunction(() => document.body.textContent === 'ready')
      return page
    }
    const page = await openPage('localhost')
    const chromiumVersion = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent))
    const n = quick ? 10_000 : 100_000
    const [reads, reps] = [quick ? 5_000 : 20_000, quick ? 1 : 3]
    console.log(`\nChromium ${chromiumVersion}: ${n} random keys, 100-byte values (persistent profile)`)
    if (only !== 'peers' && only !== 'shared') {
      const main = (await page.evaluate(([n, reads, reps]) => (window as any).mainThreadBench(n, reads, reps), [n, reads, reps])) as Row[]
      print(`Browser: main thread, cowdb client vs IndexedDB (${n.toLocaleString('en-US')} keys)`, main)
      const trips = (await page.evaluate((n) => (window as any).roundTrips(n), Math.min(reads, 10_000))) as Record<string, number | string>
      print('Browser: what the main thread pays per call (values encoded in the client vs structured clone)', (await page.evaluate(([n, reps]) => (window as any).clientCost(n, reps), [quick ? 2_000 : 10_000, quick ? 3 : 7])) as Row[])
      print('Browser: round trips to a worker that does nothing (the floor of an awaited read; cowdb uses postMessage)', Object.entries(trips).map(([way, perSecond]) => ({ workload: way, unit: 'trips/s', peers: { 'round trips': perSecond }, higherIsBetter: true })))
    }

    if (only !== 'shared') {
      type Figures = Record<string, { version: string; figures: Record<string, number | string> }>
      const peersOn = async (p: Page, labels: string[]) => (await p.evaluate(([n, reads, reps, labels]) => (window as any).peersBench(n, reads, reps, labels), [n, reads, reps, labels] as const)) as Figures
      const figures: Figures = { ...(await peersOn(page, ['cowdb'])) }
      for (const [label, host] of [['IndexedDB', '127.0.0.2'], ['Dexie', '127.0.0.3']] as const) {
        const own = await openPage(host)
        Object.assign(figures, await peersOn(own, [label]))
        await own.close()
      }
      Object.assign(figures, await peersOn(page, ['SQLite-WASM', 'sorted-btree', 'OPFS raw', 'cowdb IDB store']))
      const peers = { rows: (await page.evaluate(([f, n, reads]) => (window as any).peerRows(f, n, reads), [figures, n, reads] as const)) as Row[], versions: Object.fromEntries(Object.entries(figures).map(([l, f]) => [l, f.version])) }
      const peersTitle = `Browser: every peer in its own worker (${n.toLocaleString('en-US')} keys)`
      print(peersTitle, peers.rows)
      if (only !== 'peers') {
        const levelPage = await context.newPage()
        await levelPage.goto('http://localhost:5198/level.html')
        await levelPage.waitForFunction(() => document.body.textContent === 'ready')
        const level = (await levelPage.evaluate((n) => (window as any).levelBench(n), n)) as Record<string, Record<string, number>>
        print(`Browser: @cowdb/level vs browser-level, the same Level workload (${n.toLocaleString('en-US')} keys, main thread)`, levelRows(level.cowdb!, 'browser-level', level['browser-level']!, n))
        versions['browser-level'] = packageVersion('browser-level')
        await levelPage.close()
      }
      print(`Browser: cowdb's IndexedDB page store vs raw IndexedDB and cowdb on OPFS, Chromium (${n.toLocaleString('en-US')} keys)`, fallbackRows(peers.rows))
      if (!quick && only !== 'peers') print('Browser: snapshot vs VACUUM INTO at 1,000,000 keys', (await page.evaluate(() => (window as any).copyAtScale(1_000_000, 3))) as Row[])

      versions.chromium = chromiumVersion
      for (const pkg of ['@sqlite.org/sqlite-wasm', 'dexie', 'idb', 'sorted-btree', 'chart.js']) versions[pkg] = packageVersion(pkg)
      versions.engines = peers.versions
      console.log('\nversions:', JSON.stringify(versions, null, 2))

      await chartRatios(context, peersTitle, peers.rows, quick)
      await firefoxPeers(n, reads, reps)
    }
    if (only === undefined || only === 'browser' || only === 'shared') {
      print(`Browser: reads that never leave the tab (${n.toLocaleString('en-US')} keys, cross-origin isolated page)`, await sharedReadsRows(context, page, 'http://localhost:5198/', n, quick))
    }
  } finally {
    await context.close()
    await server.close()
    rmSync(profile, { recursive: true, force: true })
  }
}

/**
 * The same peer workloads in Firefox ESR (puppeteer-core over WebDriver BiDi, persistent
 * profile): cowdb on OPFS, cowdb's IndexedDB page store, IndexedDB, SQLite-WASM.
 */
async function firefoxPeers(n: number, reads: number, reps: number): Promise<void> {
  const path = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'
  if (!existsSync(path)) {
    console.log(`\nFirefox: ${path} is missing (npm test installs firefox-esr), its table is skipped`)
    return
  }
  const { default: puppeteer } = await import('puppeteer-core')
  const profile = mkdtempSync(join(tmpdir(), 'cowdb-bench-firefox-'))
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: path, headless: true, userDataDir: profile, protocolTimeout: 0 })
  try {
    const version = (await browser.version()).replace(/^firefox\//, 'Firefox ')
    const page = (await browser.pages())[0] ?? (await browser.newPage())
    page.on('console', (m) => m.type() === 'log' && console.log(`  [firefox] ${m.text()}`))
    await page.goto('http://localhost:5198/')
    await page.waitForFunction(() => document.body.textContent === 'ready', { timeout: 120_000 })
    console.log(`\n${version}: ${n} random keys, 100-byte values (persistent profile)`)
    const labels = ['cowdb', 'cowdb IDB store', 'IndexedDB', 'SQLite-WASM']
    const figures = await page.evaluate((n, reads, reps, labels) => (window as any).peersBench(n, reads, reps, labels), n, reads, reps, labels)
    const all = (await page.evaluate((f, n, reads) => (window as any).peerRows(f, n, reads), figures, n, reads)) as Row[]
    const rows = all.map((r) => ({ ...r, peers: Object.fromEntries(Object.entries(r.peers).filter(([l]) => labels.includes(l))) }))
    print(`Browser (${version}): cowdb and its peers, each in its own worker (${n.toLocaleString('en-US')} keys)`, rows)
    print(`Browser: cowdb's IndexedDB page store vs raw IndexedDB and cowdb on OPFS, ${version} (${n.toLocaleString('en-US')} keys)`, fallbackRows(rows))
    versions.firefox = version
  } finally {
    await browser.close()
    rmSync(profile, { recursive: true, force: true })
  }
}

/** cowdb's IndexedDB page store as the subject, against raw IndexedDB and cowdb on OPFS (from a peers table). */
function fallbackRows(rows: Row[]): Row[] {
  const pick = ['bulk load', 'point-in-time copy', 'single-put durable commits', 'random point reads, loop', 'range scan', 'bytes on disk per key after load']
  return rows
    .filter((r) => pick.some((p) => r.workload.includes(p)) && typeof r.peers['cowdb IDB store'] === 'number')
    .map((r) => ({
      workload: r.workload,
      unit: r.unit,
      cowdb: r.peers['cowdb IDB store'] as number,
      peers: { IndexedDB: r.peers.IndexedDB ?? 'not run', 'cowdb on OPFS': r.cowdb ?? 'not run' },
      higherIsBetter: r.higherIsBetter,
      note: 'the subject (cowdb column) is the IndexedDB page store',
    }))
}

mkdirSync(join(root, 'bench/results'), { recursive: true })
writeFileSync(join(root, 'bench/results/latest.json'), JSON.stringify({ date: new Date().toISOString(), quick, node: process.version, versions, results }, null, 2))
writeFileSync(join(root, 'bench/results/latest.md'), out.join('\n\n') + '\n')
console.log('\nwritten: bench/results/latest.json, bench/results/latest.md')
