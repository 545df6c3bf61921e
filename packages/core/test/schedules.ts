// Crash-schedule pieces shared by every store's crash test (core's fault-injecting files here,
// the browser's IndexedDB store in packages/browser/test): random step schedules, a player that
// records which commits were acknowledged and which were in flight, and contents as a string.
import type { Database } from '../src/database.js'
import type { Key, Op } from '../src/types.js'
import { Model, modelKey } from './model.js'
export { prng } from './faults.js'

/**
 * Runs `count` schedules from seed `first` on (COWDB_SCHEDULE=<seed> replays one); a failure's
 * message names its seed and how to replay it.
 */
export async function runSeeds(first: number, count: number, run: (seed: number) => Promise<void>): Promise<void> {
  const one = process.env.COWDB_SCHEDULE
  const seeds = one ? [Number(one)] : Array.from({ length: count }, (_, i) => first + i)
  for (const seed of seeds) {
    try {
      await run(seed)
    } catch (e) {
      if (e instanceof Error && !e.message.includes(`seed ${seed}`)) e.message = `seed ${seed} (replay: COWDB_SCHEDULE=${seed}): ${e.message}`
      throw e
    }
  }
}


export type Step = { kind: 'ops'; ops: Op[]; burst: boolean } | { kind: 'snapshot' } | { kind: 'checkpoint' } | { kind: 'compact' } | { kind: 'range'; lo: number; hi: number }

export function schedule(rand: () => number): Step[] {
  const steps: Step[] = []
  const value = () => (rand() < 0.1 ? 'big'.repeat(300 + Math.floor(rand() * 400)) : { v: Math.floor(rand() * 1000) })
  const op = (): Op => (rand() < 0.8 ? { type: 'put', key: Math.floor(rand() * 150), value: value() } : { type: 'delete', key: Math.floor(rand() * 150) })
  const n = 20 + Math.floor(rand() * 40)
  for (let i = 0; i < n; i++) {
    const r = rand()
    if (r < 0.55) steps.push({ kind: 'ops', ops: [op()], burst: false })
    else if (r < 0.65) steps.push({ kind: 'ops', ops: Array.from({ length: 1 + Math.floor(rand() * 10) }, op), burst: false })
    else if (r < 0.77) steps.push({ kind: 'ops', ops: Array.from({ length: 2 + Math.floor(rand() * 20) }, op), burst: true })
    else if (r < 0.85) steps.push({ kind: 'snapshot' })
    else if (r < 0.93) steps.push({ kind: 'checkpoint' })
    else if (r < 0.95) steps.push({ kind: 'compact' })
    else {
      const lo = Math.floor(rand() * 150)
      steps.push({ kind: 'range', lo, hi: lo + Math.floor(rand() * 30) })
    }
  }
  return steps
}

export type Unit = { ops: Op[] | null; range?: [number, number] } // one commit
export const apply = (m: Model, u: Unit) => {
  if (u.range) m.deleteRange({ gte: u.range[0], lt: u.range[1] })
  else for (const o of u.ops!) o.type === 'put' ? m.put(o.key, o.value) : m.delete(o.key)
}

/** Runs a schedule; returns acknowledged commits in order, the commits in flight, and snapshots. */
export async function play(db: Database, steps: Step[]) {
  const acked: Unit[] = []
  const inFlight: Unit[] = []
  const snaps: { id: string; upTo: number }[] = []
  for (const s of steps) {
    try {
      if (s.kind === 'ops' && s.burst) {
        const units = s.ops.map((o) => ({ ops: [o] }))
        const results = await Promise.allSettled(units.map((u) => db.batch(u.ops)))
        results.forEach((r, i) => (r.status === 'fulfilled' ? acked.push(units[i]!) : inFlight.push(units[i]!)))
        if (results.some((r) => r.status === 'rejected')) throw (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason
      } else if (s.kind === 'ops') {
        const u = { ops: s.ops }
        inFlight.push(u)
        await db.batch(s.ops)
        acked.push(inFlight.pop()!)
      } else if (s.kind === 'range') {
        const u: Unit = { ops: null, range: [s.lo, s.hi] }
        inFlight.push(u)
        await db.deleteRange({ gte: s.lo, lt: s.hi })
        acked.push(inFlight.pop()!)
      } else if (s.kind === 'snapshot') {
        const info = await db.snapshot()
        snaps.push({ id: info.id, upTo: acked.length })
      } else if (s.kind === 'compact') await db.compact()
      else await db.checkpoint()
    } catch (e) {
      return { acked, inFlight, snaps, error: e as Error }
    }
  }
  return { acked, inFlight, snaps, error: undefined }
}

export async function contents(db: Database, snapshot?: string): Promise<string> {
  return JSON.stringify((await db.scan({ limit: 1e9, snapshot })).map(([k, v]) => [modelKey(k as Key), v]))
}
export const modelContents = (m: Model) => JSON.stringify(m.scan({ limit: 1e9 }).map(([k, v]) => [modelKey(k), v]))
