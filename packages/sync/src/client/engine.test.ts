// The client engine on core Databases (memory storage) against a real server on PGlite:
// offline edits on both sides, the merge policy and a custom resolver, deleteRange and undo,
// large values in parts and slices, a fresh device, edits during a sync, the live channel,
// interruptions at every request, and duplicated or replayed requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Database, type Key } from '@cowdb/core'
import { pointInTime, restoreFrom, scanAt, sync, type ConflictInfo, type SyncHandle } from '@cowdb/sync'
import { changeSets as setsOn, contents, device, freshName, manual, quiet, startServer, until, type TestServer } from '../../test/harness.js'

let ts: TestServer
beforeAll(async () => {
  ts = await startServer(undefined, { limits: { partBytes: 8192, pageBytes: 8192 } })
})
afterAll(async () => {
  await ts?.server.close()
})

const T0 = 1_800_000_000_000
/** Change sets the server holds for a database. */
const changeSets = (name: string) => setsOn(ts, name)
const settle = () => new Promise((r) => setTimeout(r, 5))

describe('two devices', () => {
  it('push, pull, delete: converge', async () => {
    const name = freshName()
    const a = await device()
    const b = await device()
    await a.db.put('x', 1)
    await a.db.put('y', { n: 2 })
    const sa = await manual(ts, a.db, name)
    const sb = await manual(ts, b.db, name)
    await sa.syncNow()
    await sb.syncNow()
    expect(await contents(b.db)).toEqual([['x', 1], ['y', { n: 2 }]])
    await b.db.delete('x')
    await b.db.put('z', 'zz')
    await sb.syncNow()
    await sa.syncNow()
    expect(await contents(a.db)).toEqual([['y', { n: 2 }], ['z', 'zz']])
    expect(sa.status.cursor).toBe(sb.status.cursor)
    // the app sees none of the sync's bookkeeping among its data
    expect(await a.db.count()).toBe(2)
    await sa.stop()
    await sb.stop()
  })

  it('both edit offline, the same keys too: the later commit wins, not the later push', async () => {
    const name = freshName()
    let now = T0
    const clock = () => now
    const a = await device()
    const b = await device()
    const sa = await manual(ts, a.db, name, { now: clock })
    const sb = await manual(ts, b.db, name, { now: clock })
    await a.db.put('shared', 'a-early') // A's commit first...
    await a.db.put('only-a', 1)
    await settle()
    now += 1000
    await b.db.put('shared', 'b-later') // ...B's later
    await b.db.put('only-b', 2)
    await settle()
    now += 1000
    const conflicts: ConflictInfo[] = []
    sa.addEventListener('conflict', (e) => conflicts.push((e as CustomEvent).detail))
    await sb.syncNow() // B pushes first
    await sa.syncNow() // A pushes last, but its commit is older
    await sb.syncNow()
    const want = [['only-a', 1], ['only-b', 2], ['shared', 'b-later']]
    expect(await contents(a.db)).toEqual(want)
    expect(await contents(b.db)).toEqual(want)
    expect(conflicts).toEqual([{ key: 'shared', local: 'a-early', remote: 'b-later', result: 'b-later', by: 'hlc' }])
  })

  it('a custom resolver runs once, on the device that pushed later, and its result reaches both', async () => {
    const name = freshName()
    const calls: unknown[][] = []
    const resolve = (key: Key, base: unknown, local: unknown, remote: unknown) => {
      calls.push([key, base, local, remote])
      return [remote, local].flat().sort()
    }
    const a = await device()
    const b = await device()
    await a.db.put('tags', ['x'])
    const sa = await manual(ts, a.db, name, { resolve })
    const sb = await manual(ts, b.db, name, { resolve })
    await sa.syncNow()
    await sb.syncNow()
    await a.db.put('tags', ['x', 'from-a'])
    await b.db.put('tags', ['x', 'from-b'])
    await sa.syncNow()
    await sb.syncNow() // B pushed later: B resolves, and pushes the result
    await sb.syncNow()
    await sa.syncNow()
    expect(calls).toEqual([['tags', ['x'], ['x', 'from-b'], ['x', 'from-a']]])
    expect(await a.db.get('tags')).toEqual(['from-a', 'from-b', 'x', 'x'])
    expect(await b.db.get('tags')).toEqual(['from-a', 'from-b', 'x', 'x'])
  })

  it('deleteRange and undo on one device reach the other', async () => {
    const name = freshName()
    const a = await device({ retention: { keepLast: 10 } })
    const b = await device()
    for (let i = 0; i < 20; i++) await a.db.put(`todo:${String(i).padStart(2, '0')}`, i)
    await a.db.put('title', 'v1')
    const sa = await manual(ts, a.db, name)
    const sb = await manual(ts, b.db, name)
    await sa.syncNow()
    await sb.syncNow()
    expect(await b.db.count()).toBe(21)
    await a.db.deleteRange({ gte: 'todo:05', lt: 'todo:15' })
    await a.db.put('title', 'v2')
    await sa.syncNow()
    await sb.syncNow()
    expect(await b.db.count()).toBe(11)
    expect(await b.db.get('title')).toBe('v2')
    await a.db.undo() // title back to v1
    await sa.syncNow()
    await sb.syncNow()
    expect(await b.db.get('title')).toBe('v1')
    expect(await contents(b.db)).toEqual(await contents(a.db))
  })
})

describe('large, fresh, and point in time', () => {
  it('a large value goes up in parts and down in slices; a fresh device restores the head; reads at any sequence', async () => {
    const name = freshName()
    const a = await device()
    const blob = new Uint8Array(100_000).map((_, i) => (i * 7) % 256)
    await a.db.put('blob', blob)
    await a.db.put('n', 1)
    const sa = await manual(ts, a.db, name)
    const pushes: number[] = []
    sa.addEventListener('progress', (e) => (e as CustomEvent).detail.phase === 'push' && pushes.push((e as CustomEvent).detail.done))
    await sa.syncNow()
    expect(pushes.length).toBeGreaterThan(10) // 100 KB in 8 KiB parts
    const seq1 = sa.status.cursor
    await a.db.put('n', 2)
    await a.db.delete('blob')
    await sa.syncNow()
    const fresh = await device()
    const sf = await manual(ts, fresh.db, name)
    await sf.syncNow()
    expect(await contents(fresh.db)).toEqual([['n', 2]])
    const at = { url: ts.dbUrl(name), token: ts.token(name, 'read') }
    expect((await pointInTime({ ...at, key: 'n', at: seq1 })).value).toBe(1)
    expect((await pointInTime({ ...at, key: 'blob', at: seq1 })).value).toEqual(blob)
    expect((await pointInTime({ ...at, key: 'blob' })).value).toBeUndefined()
    const past: [Key, unknown][] = []
    for await (const e of scanAt({ ...at, at: seq1 })) past.push(e)
    expect(past).toEqual([['blob', blob], ['n', 1]])
    const copy = await device()
    expect(await restoreFrom(copy.db, { ...at, at: seq1 })).toEqual({ at: seq1, entries: 2 })
    expect(await contents(copy.db)).toEqual([['blob', blob], ['n', 1]])
  })
})

describe('while syncing', () => {
  it('an edit made during a sync stays, and goes in the next push', async () => {
    const name = freshName()
    const a = await device()
    const b = await device()
    await b.db.put('k', 'remote')
    const sb = await manual(ts, b.db, name)
    await sb.syncNow()
    let edit: Promise<unknown> | undefined
    const hooked: typeof fetch = async (input, init) => {
      if (/\/(pull|state)\?/.test(String(input)) && !edit) edit = a.db.put('k', 'local, during the pull')
      return fetch(input, init)
    }
    const sa = await manual(ts, a.db, name, { fetch: hooked })
    await sa.syncNow()
    await edit
    expect(await a.db.get('k')).toBe('local, during the pull')
    await sa.syncNow()
    await sb.syncNow()
    expect(await b.db.get('k')).toBe('local, during the pull')
  })

  it('follows the live channel: a commit on one device appears on the other by itself', async () => {
    const name = freshName()
    const a = await device()
    const b = await device()
    const sa = await sync(a.db, { url: ts.dbUrl(name), token: ts.token(name) })
    const sb = await sync(b.db, { url: ts.dbUrl(name), token: ts.token(name) })
    await until(() => sa.status.live && sb.status.live, 20_000, 'both live')
    await a.db.put('hello', 'from a')
    await until(async () => (await b.db.get('hello')) === 'from a', 20_000, `B sees A's commit ${JSON.stringify([sa.status, sb.status])}`)
    await b.db.put('reply', 'from b')
    await until(async () => (await a.db.get('reply')) === 'from b')
    await sa.stop()
    await sb.stop()
    expect(sa.status.state).toBe('stopped')
  })
})

describe('interrupted and repeated requests', () => {
  for (const mode of ['request', 'local write'] as const) {
    it(`a device restarted after it died at any ${mode} of a sync loses and doubles nothing`, async () => {
      // count the steps of a sync, then die at each one in turn and restart the device
      const probe = await runInterrupted(Infinity, mode)
      expect(probe.steps).toBeGreaterThan(5)
      for (let failAt = 1; failAt <= probe.steps; failAt++) {
        const r = await runInterrupted(failAt, mode)
        expect(r.a, `dying at ${mode} ${failAt}`).toEqual(r.b)
        expect(r.a, `dying at ${mode} ${failAt}`).toEqual(probe.a)
        expect(r.sets, `dying at ${mode} ${failAt}`).toBe(2)
      }
    })
  }

  it('duplicated and replayed requests (a push again after later pushes) change nothing', async () => {
    const name = freshName()
    const sent: { url: string; init: RequestInit }[] = []
    const dup: typeof fetch = async (input, init) => {
      const url = String(input)
      if (init?.method === 'POST' || init?.method === 'PUT') sent.push({ url, init: init! })
      const first = fetch(input, init)
      if (init?.method === 'POST' || init?.method === 'PUT') await fetch(input, init) // every write twice
      if (sent.length > 2 && Math.random() < 0.5) {
        const old = sent[Math.floor(Math.random() * (sent.length - 1))]!
        await fetch(old.url, old.init) // an old request arriving late
      }
      return first
    }
    const a = await device()
    const b = await device()
    const sa = await manual(ts, a.db, name, { fetch: dup })
    const sb = await manual(ts, b.db, name, { fetch: dup })
    for (let i = 0; i < 8; i++) {
      await a.db.put(`a${i}`, i)
      await b.db.put('shared', `b${i}`)
      await a.db.put('counter', i)
      await sa.syncNow()
      await sb.syncNow()
    }
    await sa.syncNow()
    expect(await contents(a.db)).toEqual(await contents(b.db))
    expect(await a.db.get('counter')).toBe(7)
    expect(await changeSets(name)).toBe(16) // 8 rounds, each side pushing once
  })
})

/**
 * Device A (with local edits) syncs, and dies at its `failAt`-th request or local write (a
 * fetch or a database call that throws, after which nothing more runs): A's Database is dropped
 * without closing and opened again from its storage, sync restarts, and B syncs. Returns both
 * contents, the steps counted, and the number of change sets the server holds.
 */
async function runInterrupted(failAt: number, mode: 'request' | 'local write') {
  const name = freshName('crash')
  const b = await device()
  await b.db.put('shared', 'b')
  await b.db.put('from-b', 1)
  const sb = await manual(ts, b.db, name)
  await sb.syncNow()
  const a = await device()
  for (let i = 0; i < 30; i++) await a.db.put(`a:${i}`, 'x'.repeat(i * 20))
  await a.db.put('shared', 'a')
  let steps = 0
  let armed = true
  let dead = false
  const die = () => {
    if (dead || (armed && ++steps === failAt)) {
      dead = true
      throw new TypeError('died here')
    }
  }
  const failing: typeof fetch = async (input, init) => {
    if (mode === 'request') die()
    return fetch(input, init)
  }
  const writes = new Set(['batch', 'snapshot', 'dropSnapshot', 'transaction', 'deleteRange', 'branch'])
  const dying = new Proxy(a.db, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target)
      if (typeof v !== 'function') return v
      return (...args: unknown[]) => {
        if (mode === 'local write' && writes.has(prop as string)) die()
        return v.apply(target, args)
      }
    },
  })
  let sa: SyncHandle | undefined
  let failed = false
  try {
    sa = await manual(ts, dying, name, { fetch: failing, partBytes: 1024 })
    await sa.syncNow()
  } catch {
    failed = true
  }
  armed = false
  failed ||= dead
  let db = a.db
  if (failed) {
    await sa?.stop().catch(() => {})
    db = await Database.open(a.storage, quiet) // the old instance is abandoned, not closed
    sa = await manual(ts, db, name)
    await sa.syncNow()
  }
  await sa!.syncNow()
  await sb.syncNow()
  const out = { a: await contents(db), b: await contents(b.db), steps, sets: await changeSets(name) }
  await sa!.stop()
  await sb.stop()
  return out
}
