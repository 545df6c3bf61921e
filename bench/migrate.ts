// The format-1 → format-2 migration (docs/format.md): time and peak memory of the open that
// migrates, on the `clean` fixture and on a generated store of n keys (one in ten with an astral
// character, 100-byte values) with 50 snapshots, each followed by a commit that changes 1% of the
// keys (mostly neighbours).
// Each migration runs in a fresh process (`tsx bench/migrate.ts --child DIR CACHE`), so its peak
// RSS is its own: the figure is how much the peak rose during the open. Baselines from the same
// run: the time it took to write that store, and verify() (one read of every page) after.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMetaStore, open } from '@cowdb/node'
import { commitFormatOne, formatOneString, type FormatOneOp } from '../packages/core/test/format-one.ts'
import { prng, type Row } from './measure.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const MB = 1024 * 1024

function dirBytes(dir: string): number {
  let total = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile()) total += statSync(join(dir, e.name)).size
  return total
}

/** Writes a format-1 store of `n` keys and `snapshots` snapshots into `dir`; returns the milliseconds it took. */
export async function writeFormatOne(dir: string, n: number, snapshots: number): Promise<number> {
  const t = performance.now()
  const db = await open(dir, { pageSize: 4096, checkpointDelayMs: 0 })
  const key = (i: number) => (i % 10 ? `k${i.toString(16).padStart(8, '0')}` : `\u{1F600}${i}`)
  const value = (i: number, round: number) => formatOneString(`${round}:${i}:`.padEnd(100, '.'))
  for (let at = 0; at < n; at += 50_000) {
    await commitFormatOne(db, Array.from({ length: Math.min(50_000, n - at) }, (_, i): FormatOneOp => ({ type: 'put', key: key(at + i), value: value(at + i, 0) })))
  }
  // each snapshot is followed by an edit of 1% of the keys: a run of neighbours (a document, a
  // folder) and a few anywhere
  const r = prng(7)
  for (let s = 1; s <= snapshots; s++) {
    await db.snapshot({ label: `s${s}` })
    const from = Math.floor(r() * n)
    await commitFormatOne(db, Array.from({ length: n / 100 }, (_, k): FormatOneOp => {
      const i = k % 10 ? (from + k) % n : Math.floor(r() * n)
      return { type: 'put', key: key(i), value: value(i, s) }
    }))
  }
  await db.close()
  const meta = new FileMetaStore(dir)
  await meta.save({ ...(await meta.load())!, version: 1 }) // what today's engine wrote on format-1 bytes is a format-1 store
  return performance.now() - t
}

type ChildResult = { ms: number; peakMB: number; verifyMs: number; beforeMB: number; afterMB: number; version: number }

/** Migrates the format-1 store in `dir` in a fresh process (its V8 heap capped at `heapMB`, if given). */
function migrateInChild(dir: string, cacheBytes: number, heapMB?: number): ChildResult {
  const env = heapMB ? { ...process.env, NODE_OPTIONS: `--max-old-space-size=${heapMB}` } : process.env
  const r = spawnSync('npx', ['tsx', fileURLToPath(import.meta.url), '--child', dir, String(cacheBytes)], { cwd: root, encoding: 'utf8', env })
  if (r.status !== 0) throw new Error(`migration child failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult
}

async function child(dir: string, cacheBytes: number): Promise<void> {
  const beforeMB = dirBytes(dir) / MB
  const rssBefore = process.resourceUsage().maxRSS // KiB
  const t = performance.now()
  const db = await open(dir, { checkpointDelayMs: 0, cacheBytes })
  const ms = performance.now() - t
  const peakMB = (process.resourceUsage().maxRSS - rssBefore) / 1024
  const v = performance.now()
  const report = await db.verify()
  const verifyMs = performance.now() - v
  if (!report.ok) throw new Error(`verify after migration: ${report.errors[0]!.message}`)
  await db.close()
  const version = (await new FileMetaStore(dir).load())!.version
  console.log(JSON.stringify({ ms, peakMB, verifyMs, beforeMB, afterMB: dirBytes(dir) / MB, version } satisfies ChildResult))
}

/** The bench section: rows for `npm run bench`. */
export async function migrateBench(n: number): Promise<Row[]> {
  const rows: Row[] = []
  const fixture = mkdtempSync(join(tmpdir(), 'cowdb-bench-migrate-'))
  const generated = mkdtempSync(join(tmpdir(), 'cowdb-bench-migrate-'))
  try {
    cpSync(join(root, 'packages/node/test/fixtures/v1/clean'), fixture, { recursive: true })
    const c = migrateInChild(fixture, 64 * MB)
    rows.push({
      workload: `migrate the v1 fixture 'clean' (${c.beforeMB.toFixed(2)} MB, 12 snapshots, a branch)`,
      unit: 'ms',
      cowdb: c.ms,
      peers: { 'verify() after': c.verifyMs },
      higherIsBetter: false,
      note: `peak RSS +${c.peakMB.toFixed(0)} MB; files ${c.beforeMB.toFixed(2)} → ${c.afterMB.toFixed(2)} MB`,
    })
    const writeMs = await writeFormatOne(generated, n, 50)
    const runs: [string, ChildResult][] = []
    // the default cache; a small one; a small one with the V8 heap capped under the store's size
    for (const [label, cache, heap] of [['page cache 64 MiB', 64 * MB, undefined], ['page cache 4 MiB', 4 * MB, undefined], ['page cache 4 MiB, V8 heap capped at 48 MB', 4 * MB, 48]] as const) {
      const copy = mkdtempSync(join(tmpdir(), 'cowdb-bench-migrate-'))
      cpSync(generated, copy, { recursive: true })
      runs.push([label, migrateInChild(copy, cache, heap)])
      rmSync(copy, { recursive: true, force: true })
    }
    for (const [label, g] of runs) {
      rows.push({
        workload: `migrate ${n.toLocaleString('en-US')} keys + 50 snapshots (${g.beforeMB.toFixed(0)} MB), ${label}`,
        unit: 'ms',
        cowdb: g.ms,
        peers: { 'writing that store': writeMs, 'verify() after': g.verifyMs },
        higherIsBetter: false,
        note: `peak RSS +${g.peakMB.toFixed(0)} MB; files ${g.beforeMB.toFixed(1)} → ${g.afterMB.toFixed(1)} MB`,
      })
      if (g.version !== 2) throw new Error('the store did not migrate')
    }
  } finally {
    rmSync(fixture, { recursive: true, force: true })
    rmSync(generated, { recursive: true, force: true })
  }
  return rows
}

if (process.argv[2] === '--child') await child(process.argv[3]!, Number(process.argv[4]))
else if (process.argv[1] === fileURLToPath(import.meta.url) && existsSync(root)) {
  // run on its own: npx tsx bench/migrate.ts [--quick]
  const { table } = await import('./measure.ts')
  console.log(table('Node: format migration on open', await migrateBench(process.argv.includes('--quick') ? 10_000 : 100_000)))
}
