// The call record against a model, with the owner dying at any write (a write cut short leaves a
// prefix of its bytes, as a killed tab would). After each death a new owner loads the record: a
// call it reports done must be done with that result, a call never started must be absent, and a
// call the model still needs (started, or answered and not acknowledged) must be there as it was.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CallLog, FORGET_ANSWERED_MS } from './call-log.js'
import { blockSyncFile } from './sync-file.js'
import { Died, MemFile } from '../test/mem-file.js'
import { IdbBlockFile } from './idb-file.js'
import type { Result } from './protocol.js'
import { WriteBehind, type Batch } from './write-behind.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261201)
const RUNS = Number(process.env.COWDB_RUNS ?? 200)

type Op =
  | { t: 'start'; f: number; n: number }
  | { t: 'done'; f: number; ok: boolean }
  | { t: 'forget'; f: number }
  | { t: 'drop'; f: number }
  | { t: 'wait'; ms: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('start' as const), f: fc.nat(2), n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('done' as const), f: fc.nat(2), ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('forget' as const), f: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), f: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.constantFrom(1000, FORGET_ANSWERED_MS / 2) }) },
)

/** The model: per call, the states the record may report (more than one after a death mid-write), and a done call's result. */
type Want = { allowed: Set<'absent' | 'started' | 'done'>; result?: Result; answeredAt?: number }

describe('CallLog', () => {
  it('a new owner finds every call as the old one left it, whatever write the old one died in', () => {
    const counts = { deaths: 0, rewrites: 0, checked: 0 }
    fc.assert(
      fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }), fc.nat(40), fc.double({ min: 0, max: 0.99, noNaN: true }), (owners, dieAt, cut) => {
        const power = { writesLeft: Infinity, cut }
        const files: [MemFile, MemFile] = [new MemFile(power), new MemFile(power)]
        let clock = 1_000_000
        const model = new Map<string, Want>()
        const nextId = [1, 1, 1]
        const open: string[] = [] // started by the current owner, not done
        let lastTerm = 0
        owners.forEach((ops, o) => {
          power.writesLeft = o === owners.length - 1 ? Infinity : dieAt
          open.length = 0 // what the last owner was running died with it
          let log: CallLog
          try {
            log = CallLog.load(files, false, { now: () => clock, compactBytes: 300 })
          } catch (e) {
            if (!(e instanceof Died)) throw e
            counts.deaths++
            return
          }
          expect(log.term).toBeGreaterThan(lastTerm)
          lastTerm = log.term
          for (const [key, want] of model) {
            const [f, id] = key.split(':')
            const got = log.get(`f${f}`, Number(id))
            counts.checked++
            expect(want.allowed.has(got.state), `${key}: ${got.state} not in ${[...want.allowed]}`).toBe(true)
            if (got.state === 'done') expect(got.result).toEqual(want.result)
          }
          let doing: string[] = []
          const before = new Map<string, Want>()
          /** Sets the model for `keys` to `next`; if the owner dies in this step, either state is allowed. */
          const step = (keys: string[], next: (w: Want | undefined) => Want) => {
            doing = keys
            before.clear()
            for (const k of keys) (before.set(k, model.get(k) ?? { allowed: new Set(['absent']) }), model.set(k, next(model.get(k))))
          }
          try {
            for (const x of ops) {
              if (x.t === 'start') {
                const ids = Array.from({ length: x.n }, () => nextId[x.f]!++)
                step(ids.map((id) => `${x.f}:${id}`), () => ({ allowed: new Set(['started']) }))
                log.started(`f${x.f}`, ids)
                open.push(...doing)
              } else if (x.t === 'done') {
                const at = open.findIndex((k) => k.startsWith(`${x.f}:`))
                if (at < 0) continue
                const [key] = open.splice(at, 1)
                const result: Result = x.ok ? { ok: true, value: { generation: clock, root: 7 } } : { ok: false, error: { name: 'QuotaExceededError', message: `full ${key}` } }
                step([key!], () => ({ allowed: new Set(['done']), result, answeredAt: clock }))
                log.done(`f${x.f}`, Number(key!.split(':')[1]), result)
              } else if (x.t === 'forget') {
                const mine = open.filter((k) => k.startsWith(`${x.f}:`)).map((k) => Number(k.split(':')[1]))
                const below = Math.min(nextId[x.f]!, ...mine)
                step([], () => ({ allowed: new Set() }))
                log.forget(`f${x.f}`, below)
                for (const [k, w] of model) if (k.startsWith(`${x.f}:`) && Number(k.split(':')[1]) < below) w.allowed.add('absent')
              } else if (x.t === 'drop') {
                if (open.some((k) => k.startsWith(`${x.f}:`))) continue // a follower with calls in flight is not gone
                step([], () => ({ allowed: new Set() }))
                log.drop(`f${x.f}`)
                for (const [k, w] of model) if (k.startsWith(`${x.f}:`)) w.allowed.add('absent')
              } else {
                clock += x.ms
                for (const w of model.values()) if (w.answeredAt !== undefined && clock - w.answeredAt > FORGET_ANSWERED_MS) w.allowed.add('absent')
              }
            }
          } catch (e) {
            if (!(e instanceof Died)) throw e
            counts.deaths++
            for (const k of doing) {
              const w = model.get(k)!
              for (const s of before.get(k)!.allowed) w.allowed.add(s)
            }
          }
          counts.rewrites += (log as unknown as { gen: number }).gen
        })
      }),
      { seed: SEED, numRuns: RUNS },
    )
    // the schedules did kill owners mid-write, rewrite the record, and check calls after a death
    expect(counts.deaths).toBeGreaterThan(RUNS / 4)
    expect(counts.rewrites).toBeGreaterThan(RUNS)
    expect(counts.checked).toBeGreaterThan(RUNS * 5)
  })

  it('a fresh owner (nobody queued for the lock) starts empty, with a higher term', () => {
    const power = { writesLeft: Infinity, cut: 0 }
    const files: [MemFile, MemFile] = [new MemFile(power), new MemFile(power)]
    const a = CallLog.load(files, false)
    a.started('f', [1, 2])
    a.done('f', 1, { ok: true, value: null })
    const b = CallLog.load(files, true)
    expect(b.term).toBe(a.term + 1)
    expect([b.get('f', 1).state, b.get('f', 2).state]).toEqual(['absent', 'absent'])
    const c = CallLog.load(files, false)
    expect(c.term).toBe(b.term + 1)
  })

  it('on the IndexedDB page store, a write whose WAL bytes are durable is always on record, at every batch a crash can stop at', async () => {
    // The record's files and the WAL share the store's write-behind queue: batches commit in
    // order, whole or not at all. The owner records "started", then runs the write (its WAL bytes
    // flushed), then records "done". Replay every prefix of the committed batches (a tab that died
    // after batch k) and load the record from it: every call with WAL bytes there is started or done.
    const counts = { prefixes: 0, withWal: 0, done: 0 }
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ f: fc.nat(2), n: fc.integer({ min: 1, max: 3 }), pause: fc.boolean(), answer: fc.boolean() }), { minLength: 1, maxLength: 30 }), async (steps) => {
        const batches: Batch[] = []
        const queue = new WriteBehind(async (b) => {
          await new Promise((r) => setTimeout(r, 0)) // a transaction takes a while: later flushes gather
          batches.push(b)
        })
        const file = (name: string, chunk: number) => new IdbBlockFile(name, chunk, new Map(), 0, (c, size) => queue.stageFile(name, c, size))
        const wal = file('wal', 64)
        const log = CallLog.load([blockSyncFile(file('calls-0', 64)), blockSyncFile(file('calls-1', 64))], true, { compactBytes: 400 })
        const walRecord = (f: number, id: number) => new Uint8Array(new Uint32Array([f, id, 0xc0ffee]).buffer)
        const ids = [1, 1, 1]
        let walEnd = 0
        const open: [number, number][] = []
        for (const x of steps) {
          const mine = Array.from({ length: x.n }, () => ids[x.f]!++)
          log.started(`f${x.f}`, mine)
          for (const id of mine) {
            wal.write(walEnd, walRecord(x.f, id)) // the write runs: its WAL bytes, flushed
            walEnd += 12
            wal.flush()
            open.push([x.f, id])
          }
          if (x.pause) await new Promise((r) => setTimeout(r, 0))
          if (x.answer && open.length) {
            const [f, id] = open.shift()!
            log.done(`f${f}`, id, { ok: true, value: id })
          }
        }
        await queue.durable()
        for (let k = 0; k <= batches.length; k++) {
          const files = new Map<string, { chunks: Map<number, Uint8Array>; size: number }>()
          for (const b of batches.slice(0, k)) {
            for (const { file: name, index, bytes } of b.chunks.values()) {
              const f = files.get(name) ?? { chunks: new Map(), size: 0 }
              files.set(name, f)
              if (bytes) f.chunks.set(index, bytes)
              else f.chunks.delete(index)
            }
            for (const [name, size] of b.sizes) (files.get(name) ?? files.set(name, { chunks: new Map(), size: 0 }).get(name)!).size = size
          }
          const reopen = (name: string) => {
            const f = files.get(name) ?? { chunks: new Map(), size: 0 }
            return new IdbBlockFile(name, 64, new Map([...f.chunks].map(([i, c]) => [i, c.slice()])), f.size, () => {})
          }
          const record = CallLog.load([blockSyncFile(reopen('calls-0')), blockSyncFile(reopen('calls-1'))], false)
          const walBytes = new Uint8Array(files.get('wal')?.size ?? 0)
          reopen('wal').read(0, walBytes)
          const words = new Uint32Array(walBytes.buffer, 0, Math.floor(walBytes.length / 4))
          for (let at = 0; at + 3 <= words.length; at += 3) {
            if (words[at + 2] !== 0xc0ffee) continue
            const state = record.get(`f${words[at]}`, words[at + 1]!).state
            expect(state, `batch ${k} of ${batches.length}: f${words[at]}:${words[at + 1]} has WAL bytes but is ${state}`).not.toBe('absent')
            counts.withWal++
            if (state === 'done') counts.done++
          }
          counts.prefixes++
        }
      }),
      { seed: SEED, numRuns: 100 },
    )
    // crashes were tried between batches, with writes durable and some answered
    expect(counts.prefixes).toBeGreaterThan(300)
    expect(counts.withWal).toBeGreaterThan(1000)
    expect(counts.done).toBeGreaterThan(50)
  })
})
