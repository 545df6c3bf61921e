// Sync on a device that already holds data: branches and snapshots made from a non-empty main,
// then the writes of a first sync and of later rounds. verify() after every write on both
// devices: no page a head or snapshot reaches is ever on the free list. This is the scenario
// that found the engine bug fixed in 657977b (a page freed while a branch still reached it:
// `reachable but on the free list`, then CorruptionError on a read); it failed before that fix.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Database } from '@cowdb/core'
import { device, freshName, manual, startServer, type TestServer } from './harness.js'

let ts: TestServer
beforeAll(async () => {
  ts = await startServer()
})
afterAll(() => ts.server.close())

const WRITES = new Set(['batch', 'transaction', 'snapshot', 'dropSnapshot', 'deleteRange', 'branch', 'put', 'restore', 'dropBranch'])

/** `db` with verify() run after each of its writes; the first failure is kept in `bad`. */
function verified(db: Database, tag: string, bad: string[]): Database {
  return new Proxy(db, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target)
      if (typeof v !== 'function') return v
      return async (...args: unknown[]) => {
        const result = await v.apply(target, args)
        if (!bad.length && WRITES.has(String(prop))) {
          const check = await target.verify()
          if (!check.ok) bad.push(`${tag}.${String(prop)}(${JSON.stringify(args).slice(0, 200)}): ${JSON.stringify(check.errors.slice(0, 2))}`)
        }
        return result
      }
    },
  })
}

it('a first sync of a store with 10,000 keys, then rounds on both devices: verify() holds after every write', async () => {
  const n = 10_000
  const key = (i: number) => `k${String(i).padStart(7, '0')}`
  const fill = (db: Database, byte: number) => db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: key(i), value: new Uint8Array(100).fill(byte) })))
  const a = (await device()).db
  const b = (await device()).db
  await fill(a, 3)
  const bad: string[] = []
  const name = freshName('space')
  const ha = await manual(ts, verified(a, 'A', bad), name)
  const hb = await manual(ts, verified(b, 'B', bad), name)
  await fill(a, 4)
  await ha.syncNow()
  await hb.syncNow()
  for (let r = 0; r < 7 && !bad.length; r++) {
    await a.put(key((r * 7919) % n), new Uint8Array(100).fill(r))
    await ha.syncNow()
    await hb.syncNow()
  }
  expect(bad).toEqual([])
  for (const db of [a, b]) {
    await db.gc()
    expect((await db.verify()).errors).toEqual([])
  }
  expect(await b.count()).toBe(n)
  expect(await b.get(key(7919 % n))).toEqual(new Uint8Array(100).fill(1))
  await ha.stop()
  await hb.stop()
  await a.close()
  await b.close()
}, 120_000)
