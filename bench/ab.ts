// A/B: this tree's @cowdb/node (or the build of commit --ab-base) against the same package built
// from another commit, in one run, rounds alternating so that the machine's noise falls on both
// alike. Each run's CPU time is measured beside its wall time: on a shared machine, CPU time is
// what other processes disturb least. Used to show that a refactor changed nothing measurable
// (the database.ts split: every figure within ±10%).
//   npm run bench -- --only ab [--ab-ref <commit>] [--ab-base <commit>]
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { dataset, median, prng, type Row } from './measure.ts'

type NodeApi = { open: (dir: string, opts?: Record<string, unknown>) => Promise<any> }

/** A detached worktree of `ref` with @cowdb/core and @cowdb/node built (kept in the OS temp dir for reuse). */
export function buildAt(root: string, ref: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim()
  const dir = join(tmpdir(), `cowdb-ab-${sha}`)
  if (!existsSync(join(dir, 'packages/node/dist/index.js'))) {
    if (!existsSync(dir)) execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { cwd: root, stdio: 'inherit' })
    execFileSync('node', ['scripts/pnpm.mjs', 'install', '--frozen-lockfile', '--offline'], { cwd: dir, stdio: 'inherit' })
    execFileSync('npx', ['tsc', '-b', 'packages/core', 'packages/node'], { cwd: dir, stdio: 'inherit' })
  }
  return dir
}

type Workload = { name: string; unit: string; count: number; run: (api: NodeApi, dir: string) => Promise<number> }
/** CPU milliseconds of the last measured part (see timed()). */
let lastCpuMs = 0

/** Each workload returns the milliseconds of its measured part; `count` operations per run. */
function workloads(n: number): Workload[] {
  const { keys, value } = dataset(n)
  const r = prng(11)
  const probes = Array.from({ length: 20_000 }, () => keys[Math.floor(r() * n)]!)
  const sorted = [...keys].sort()
  const load = async (api: NodeApi, dir: string) => {
    const db = await api.open(dir, { checkpointDelayMs: 0 })
    await db.batch(keys.map((k) => ({ type: 'put', key: k, value })))
    return db
  }
  const timed = async (f: () => Promise<unknown>) => {
    const t = performance.now()
    const cpu = process.cpuUsage()
    await f()
    const used = process.cpuUsage(cpu)
    lastCpuMs = (used.user + used.system) / 1000
    return performance.now() - t
  }
  return [
    { name: `bulk load ${n.toLocaleString('en-US')} keys, one batch`, unit: 'keys/s', count: n, run: async (api, dir) => timed(async () => (await load(api, dir)).close()) },
    { name: 'random point reads (awaited get)', unit: 'reads/s', count: probes.length, run: async (api, dir) => { const db = await load(api, dir); const ms = await timed(async () => { for (const k of probes) await db.get(k) }); await db.close(); return ms } },
    { name: 'range scan of 10,000 keys', unit: 'scans/s', count: 1, run: async (api, dir) => { const db = await load(api, dir); const ms = await timed(() => db.scan({ gte: sorted[n >> 2], limit: 10_000 })); await db.close(); return ms } },
    { name: 'single-put durable commits, one at a time', unit: 'commits/s', count: 500, run: async (api, dir) => { const db = await load(api, dir); const ms = await timed(async () => { for (let i = 0; i < 500; i++) await db.put(keys[i], value) }); await db.close(); return ms } },
    { name: '10,000 un-awaited puts (group commit)', unit: 'puts/s', count: 10_000, run: async (api, dir) => { const db = await load(api, dir); const ms = await timed(() => Promise.all(keys.slice(0, 10_000).map((k) => db.put(k, value)))); await db.close(); return ms } },
    { name: '200 batches of 100 overwrites', unit: 'keys/s', count: 20_000, run: async (api, dir) => { const db = await load(api, dir); const ms = await timed(async () => { for (let b = 0; b < 200; b++) await db.batch(keys.slice(b * 100, b * 100 + 100).map((k) => ({ type: 'put', key: k, value }))) }); await db.close(); return ms } },
    { name: 'snapshot, then diff after one change', unit: 'ops/s', count: 1, run: async (api, dir) => { const db = await load(api, dir); const ms = await timed(async () => { const s = await db.snapshot(); await db.put(keys[7], 'changed'); await db.diff(s.id) }); await db.close(); return ms } },
    { name: 'checkpoint + close after 20,000 overwrites', unit: 'ops/s', count: 1, run: async (api, dir) => { const db = await load(api, dir); await db.checkpoint(); await Promise.all(keys.slice(0, 20_000).map((k) => db.put(k, 'x'))); return timed(() => db.close()) } },
  ]
}

/**
 * Rows with this tree (or commit `base`) as "cowdb" and `ref` as the peer, by wall time and by
 * CPU time; `rounds` alternating runs of each workload.
 */
export async function abBench(root: string, ref: string, n: number, rounds: number, base?: string): Promise<Row[]> {
  const other = buildAt(root, ref)
  const mine = base === undefined ? root : buildAt(root, base)
  const here: NodeApi = await import(pathToFileURL(join(mine, 'packages/node/dist/index.js')).href)
  const there: NodeApi = await import(pathToFileURL(join(other, 'packages/node/dist/index.js')).href)
  const rows: Row[] = []
  for (const w of workloads(n)) {
    const wall: Record<'here' | 'there', number[]> = { here: [], there: [] }
    const cpu: Record<'here' | 'there', number[]> = { here: [], there: [] }
    for (let i = 0; i < rounds; i++) {
      for (const side of i % 2 ? (['there', 'here'] as const) : (['here', 'there'] as const)) {
        const dir = mkdtempSync(join(tmpdir(), 'cowdb-ab-run-'))
        try {
          wall[side].push(await w.run(side === 'here' ? here : there, dir))
          cpu[side].push(lastCpuMs)
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      }
    }
    const rate = (ms: number[]) => w.count / (median(ms) / 1000)
    rows.push({ workload: w.name, unit: w.unit, cowdb: rate(wall.here), peers: { [ref]: rate(wall.there) }, higherIsBetter: true, note: 'wall time' })
    rows.push({ workload: w.name, unit: `${w.unit} of CPU`, cowdb: rate(cpu.here), peers: { [ref]: rate(cpu.there) }, higherIsBetter: true, note: 'CPU time' })
  }
  return rows
}
