// Interleaved transactions (fast-check's scheduler decides which one takes its next step): the
// committed result must equal SOME serial order of the committed transactions, each reading in
// that order what it really read, and a transaction that ended in ConflictError leaves no trace.
// Each transaction writes a value folded from everything it read and its own id, so a lost
// update, a write skew, a phantom or a leaked aborted write makes every serial order disagree.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import { ConflictError } from './errors.js'
import { MemoryStorage } from './memory-store.js'
import type { Key, Range, Value } from './types.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261125)
const RUNS = Number(process.env.COWDB_RUNS ?? 150)
const KEYS = 6
const key = (i: number) => `k${i}`

type Spec = { id: number; reads: number[]; scan?: [number, number]; writes: { k: number; del: boolean }[]; retries: number }
/** What a transaction body needs: the Transaction API, or a Map during the serial replay. */
type Io = { get(k: Key): Promise<Value | undefined>; scan(r: Range): Promise<[Key, Value][]>; put(k: Key, v: Value): void; delete(k: Key): void }

/** Runs one transaction's body; `step` lets the scheduler interleave others. Returns what it read. */
async function body(spec: Spec, io: Io, step: () => Promise<void>): Promise<string> {
  let acc = spec.id * 1000
  const seen: unknown[] = []
  for (const k of spec.reads) {
    await step()
    const v = (await io.get(key(k))) as number | undefined
    seen.push(v ?? null)
    acc = (acc * 31 + (v ?? 7)) % 1_000_003
  }
  if (spec.scan) {
    await step()
    const rows = await io.scan({ gte: key(spec.scan[0]), lt: key(spec.scan[1]) })
    seen.push(rows)
    for (const [k, v] of rows) acc = (acc * 31 + Number(String(k).slice(1)) * 17 + (v as number)) % 1_000_003
  }
  for (const w of spec.writes) {
    await step()
    if (w.del) io.delete(key(w.k))
    else io.put(key(w.k), acc + w.k)
  }
  return JSON.stringify(seen)
}

function mapIo(m: Map<string, number>): Io {
  return {
    get: async (k) => m.get(k as string),
    scan: async (r) => [...m].filter(([k]) => k >= (r.gte as string) && k < (r.lt as string)).sort(([a], [b]) => (a < b ? -1 : 1)),
    put: (k, v) => void m.set(k as string, v as number),
    delete: (k) => void m.delete(k as string),
  }
}

function* permutations<T>(xs: T[]): Generator<T[]> {
  if (xs.length <= 1) return yield xs
  for (let i = 0; i < xs.length; i++) for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) yield [xs[i]!, ...rest]
}

const k = fc.integer({ min: 0, max: KEYS - 1 })
const specs = fc.array(
  fc.record({
    reads: fc.array(k, { maxLength: 3 }),
    scan: fc.option(fc.tuple(k, k).map(([a, b]) => [Math.min(a, b), Math.max(a, b) + 1] as [number, number]), { nil: undefined }),
    writes: fc.array(fc.record({ k, del: fc.boolean() }), { minLength: 0, maxLength: 3 }),
    retries: fc.integer({ min: 0, max: 2 }),
  }),
  { minLength: 2, maxLength: 5 },
)

describe('transactions', () => {
  it(`interleaved transactions commit as some serial order; aborted ones leave no trace (seed ${SEED})`, async () => {
    let conflicts = 0
    let reruns = 0
    await fc.assert(
      fc.asyncProperty(specs, fc.scheduler(), async (raw, s) => {
        const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
        const initial = new Map(Array.from({ length: KEYS }, (_, i) => [key(i), i] as [string, number]))
        await db.batch([...initial].map(([k, v]) => ({ type: 'put' as const, key: k, value: v })))
        const all: Spec[] = raw.map((r, id) => ({ ...r, id: id + 1 }))
        const outcome = new Map<number, string | 'aborted'>()
        let running = all.length
        const step = () => s.schedule(Promise.resolve())
        for (const spec of all) {
          let attempts = 0
          void db
            .transaction(async (tx) => {
              attempts++
              return body(spec, tx, step)
            }, { retries: spec.retries })
            .then(
              (seen) => void outcome.set(spec.id, seen),
              (e: unknown) => {
                if (!(e instanceof ConflictError)) throw e
                outcome.set(spec.id, 'aborted')
              },
            )
            .finally(() => {
              reruns += attempts - 1
              running--
            })
        }
        while (running > 0) {
          if (s.count() > 0) await s.waitOne()
          else await new Promise((r) => setTimeout(r, 0))
        }
        const actual = JSON.stringify(await db.scan())
        await db.close()
        const committed = all.filter((t) => outcome.get(t.id) !== 'aborted')
        conflicts += all.length - committed.length
        for (const order of permutations(committed)) {
          const m = new Map(initial)
          let same = true
          for (const t of order) if ((await body(t, mapIo(m), async () => {})) !== outcome.get(t.id)) same = false
          const serial = JSON.stringify([...m].sort(([a], [b]) => (a < b ? -1 : 1)))
          if (same && serial === actual) return
        }
        expect.fail(`no serial order of transactions ${committed.map((t) => t.id).join(', ')} gives ${actual} with the reads they saw (${JSON.stringify([...outcome])})\n${s.report()}`)
      }),
      { seed: SEED, numRuns: RUNS },
    )
    // the runs must have exercised the conflict path, or they proved little
    expect(conflicts).toBeGreaterThan(0)
    expect(reruns).toBeGreaterThan(0)
  })
})
