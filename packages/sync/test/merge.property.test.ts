// The merge property: random concurrent histories on N devices (puts, deletes, range deletes,
// undo, offline stretches, syncs in any order) converge, once everyone has synced, to ONE state,
// and that state depends only on the change sets, not on the order of syncs:
//  - every device equals the last-writer-wins fold, written here independently of the server,
//    of the change sets the server holds (per key: latest commit HLC, then greater device id);
//  - the same change sets pushed in a shuffled order into a fresh database give the same state
//    to a fresh device;
//  - each pushed entry carries the HLC of the commit that wrote that value on that device (the
//    step's time in the test's clock), not the time of the push.
// Fixed seed in CI (COWDB_SEED, COWDB_RUNS override); the seed is printed on failure.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeKey, decodeValue, parseHlc, type Database } from '@cowdb/core'
import { decodePullPage, encodeChangeSet, type SyncHandle } from '@cowdb/sync'
import { contents, device, freshName, manual, startServer, type TestServer } from './harness.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)
const RUNS = Number(process.env.COWDB_RUNS ?? 20)
const KEYS = ['a', 'b', 'c', 'd', 'e']

type Step =
  | { dev: number; op: 'put'; key: string; value: number }
  | { dev: number; op: 'delete'; key: string }
  | { dev: number; op: 'deleteRange'; from: string; to: string }
  | { dev: number; op: 'undo' }
  | { dev: number; op: 'sync' }

const step = (devices: number): fc.Arbitrary<Step> => {
  const dev = fc.integer({ min: 0, max: devices - 1 })
  const key = fc.constantFrom(...KEYS)
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ dev, op: fc.constant('put' as const), key, value: fc.integer({ min: 0, max: 99 }) }) },
    { weight: 2, arbitrary: fc.record({ dev, op: fc.constant('delete' as const), key }) },
    { weight: 1, arbitrary: fc.record({ dev, op: fc.constant('deleteRange' as const), from: key, to: key }) },
    { weight: 1, arbitrary: fc.record({ dev, op: fc.constant('undo' as const) }) },
    { weight: 4, arbitrary: fc.record({ dev, op: fc.constant('sync' as const) }) },
  )
}

let ts: TestServer
beforeAll(async () => {
  ts = await startServer()
})
afterAll(async () => {
  await ts?.server.close()
})

/** A write as the model sees it: what a commit did to one key, and when. */
type Write = { key: string; value: unknown; time: number; dev: number }

async function state(db: Database): Promise<Map<string, unknown>> {
  return new Map((await contents(db)).map(([k, v]) => [k as string, v]))
}

async function runHistory(devices: number, steps: Step[]) {
  const name = freshName('prop')
  let now = 1_700_000_000_000
  const clock = () => now
  const devs: { db: Database; handle: SyncHandle }[] = []
  for (let i = 0; i < devices; i++) {
    const { db } = await device({ retention: { keepLast: 20 } })
    devs.push({ db, handle: await manual(ts, db, name, { now: clock }) })
  }
  const writes: Write[] = []
  // lets the tracker hear a commit while the clock still reads its time
  const settle = () => new Promise((r) => setTimeout(r, 0))
  for (const s of steps) {
    now += 1000
    const { db, handle } = devs[s.dev]!
    if (s.op === 'sync') {
      await handle.syncNow()
      continue
    }
    const before = await state(db)
    if (s.op === 'put') await db.put(s.key, `${s.dev}:${s.value}`)
    else if (s.op === 'delete') await db.delete(s.key)
    else if (s.op === 'deleteRange') await db.deleteRange({ gte: s.from < s.to ? s.from : s.to, lte: s.from < s.to ? s.to : s.from })
    else await db.undo()
    await settle()
    const after = await state(db)
    for (const k of KEYS) if (before.get(k) !== after.get(k)) writes.push({ key: k, value: after.get(k), time: now, dev: s.dev })
  }
  // everyone pushes, then everyone pulls
  now += 1000
  for (const d of devs) await d.handle.syncNow()
  for (const d of devs) await d.handle.syncNow()
  return { name, devs, writes }
}

type Sets = { device: string; entries: { key: Uint8Array; value: Uint8Array | null; hlc: string }[] }[]

/** Last writer wins over change sets: per key, the latest HLC, then the greater device id. */
function lww(sets: Sets): [unknown, unknown][] {
  const last = new Map<string, { key: string; value: Uint8Array | null; hlc: string; device: string }>()
  for (const cs of sets) {
    for (const e of cs.entries) {
      const key = decodeKey(e.key) as string
      const w = last.get(key)
      if (!w || w.hlc < e.hlc || (w.hlc === e.hlc && w.device < cs.device)) last.set(key, { key, value: e.value, hlc: e.hlc, device: cs.device })
    }
  }
  return [...last.values()].filter((w) => w.value !== null).sort((a, b) => (a.key < b.key ? -1 : 1)).map((w) => [w.key, decodeValue(w.value!)])
}

/** The server's change sets, each as the bytes of a push (device, entries with HLCs). */
async function changeSets(name: string): Promise<Sets> {
  const res = await fetch(`${ts.dbUrl(name)}/pull?from=1`, { headers: { authorization: `Bearer ${ts.token(name)}` } })
  const page = decodePullPage(new Uint8Array(await res.arrayBuffer()))
  expect(page.next).toBeNull()
  const sets = new Map(page.sets.map((s) => [s.seq, { device: s.device, entries: [] as { key: Uint8Array; value: Uint8Array | null; hlc: string }[] }]))
  for (const e of page.entries) sets.get(e.seq)!.entries.push({ key: e.key, value: e.value, hlc: e.hlc })
  return [...sets.values()]
}

describe('merge property', () => {
  it(`random concurrent histories on 3 devices converge to the LWW state of their change sets, in any order (seed ${SEED}, ${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step(3), { minLength: 4, maxLength: 24 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (steps, shuffleSeed) => {
        const { name, devs, writes } = await runHistory(3, steps)
        const sets = await changeSets(name)
        const want = lww(sets)
        for (const d of devs) expect(await contents(d.db)).toEqual(want)
        for (const d of devs) expect(d.handle.status.cursor).toBe(devs[0]!.handle.status.cursor)

        // every pushed value was written by that device by a commit at the HLC it carries
        const devOf = new Map(devs.map((d, i) => [d.handle.status.device, i]))
        for (const cs of sets) {
          for (const e of cs.entries) {
            const w = { key: decodeKey(e.key), value: e.value === null ? undefined : decodeValue(e.value), time: parseHlc(e.hlc)!.wall, dev: devOf.get(cs.device) }
            expect(writes, `entry ${JSON.stringify(w)}`).toContainEqual(w)
          }
        }

        // the same change sets, pushed in another order into another database, give the same state
        const order = sets.map((_, i) => i)
        let r = shuffleSeed
        for (let i = order.length - 1; i > 0; i--) {
          r = (Math.imul(r, 1103515245) + 12345) >>> 0
          const j = r % (i + 1)
          ;[order[i], order[j]] = [order[j]!, order[i]!]
        }
        const other = freshName('prop-replay')
        for (const i of order) {
          const cs = sets[i]!
          const res = await fetch(`${ts.dbUrl(other)}/push/replay-${i}-${shuffleSeed}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ts.token(other)}`, 'content-type': 'application/octet-stream' },
            body: encodeChangeSet({ device: cs.device, base: 0, entries: cs.entries }),
          })
          expect(res.status).toBe(200)
        }
        const fresh = await device()
        const h = await manual(ts, fresh.db, other)
        await h.syncNow()
        expect(await contents(fresh.db)).toEqual(want)
        await h.stop()
        for (const d of devs) await d.handle.stop()
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, verbose: 1, timeout: 30_000 },
    )
  }, 600_000)
})
