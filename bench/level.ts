// One Level workload, run on any abstract-level database: @cowdb/level beside classic-level
// (LevelDB, in Node) and beside browser-level (IndexedDB, in Chromium). Same keys, same values,
// same calls; only the database differs. Used by run.ts (Node) and browser/level.ts (Chromium).
import type { AbstractLevel } from 'abstract-level'
import { dataset, prng, type Row } from './measure.ts'

type Level = AbstractLevel<any, string, Uint8Array>
export type LevelFigures = Record<string, number>

/** The workload's figures (per second) on `db`, which must be open and empty. */
export async function levelWorkload(db: Level, n: number): Promise<LevelFigures> {
  const { keys, value } = dataset(n)
  const rand = prng(11)
  const probes = Array.from({ length: Math.min(n, 10_000) }, () => keys[Math.floor(rand() * n)]!)
  const sorted = [...keys].sort()
  const starts = Array.from({ length: 200 }, () => sorted[Math.floor(rand() * (n - 100))]!)
  const puts = Math.min(n, 1000)
  const rate = async (count: number, fn: () => Promise<void>) => {
    const t = performance.now()
    await fn()
    return count / ((performance.now() - t) / 1000)
  }
  const o = { valueEncoding: 'view' } as const
  return {
    batch: await rate(n, async () => {
      for (let i = 0; i < n; i += 1000) await db.batch(keys.slice(i, i + 1000).map((key) => ({ type: 'put' as const, key, value })), o)
    }),
    put: await rate(puts, async () => {
      for (let i = 0; i < puts; i++) await db.put(keys[i]!, value, o)
    }),
    get: await rate(probes.length, async () => {
      for (const k of probes) await db.get(k, o)
    }),
    range: await rate(starts.length, async () => {
      for (const gte of starts) await db.iterator({ gte, limit: 100, ...o }).all()
    }),
    iterate: await rate(n, async () => {
      for await (const _entry of db.iterator(o)) void _entry
    }),
  }
}

/** Rows for the table: @cowdb/level as "cowdb", the other database as its peer. */
export function levelRows(cowdb: LevelFigures, peer: string, other: LevelFigures, n: number): Row[] {
  const rows: [keyof LevelFigures, string, string][] = [
    ['batch', `write ${n.toLocaleString('en-US')} keys, batches of 1,000`, 'keys/s'],
    ['put', 'put, one at a time (awaited)', 'puts/s'],
    ['get', 'random get (awaited)', 'gets/s'],
    ['range', 'iterator over 100 keys from a random start', 'ranges/s'],
    ['iterate', 'iterate every key (for await)', 'entries/s'],
  ]
  return rows.map(([k, workload, unit]) => ({ workload, unit, cowdb: cowdb[k], peers: { [peer]: other[k] }, higherIsBetter: true }))
}
