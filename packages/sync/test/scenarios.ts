// Fault scenarios against server processes, shared by the PGlite suite and the Postgres suite:
// the server SIGKILLed mid-push, mid-pull, and at random moments under three writing devices.
// In each: nothing lost (every device ends with every write), nothing applied twice (each push
// is one change set on the server), and all devices converge.
import { expect } from 'vitest'
import { signToken } from '@cowdb/sync/server'
import { decodePullPage, headSeq, sync, type SyncHandle, type SyncOptions } from '@cowdb/sync'
import type { Database } from '@cowdb/core'
import { contents, device, freshName, SECRET } from './harness.js'
import type { ServerProcess } from './process.js'

/** Starts (or restarts, on the same data and port) a server process. */
export type Backend = () => Promise<ServerProcess>

const backoff = { minMs: 50, maxMs: 400 }

export async function until(cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Retries syncNow() until a round succeeds (the server is coming back). */
async function syncUntilDone(h: SyncHandle): Promise<void> {
  await until(() => h.syncNow().then(() => true, () => false))
}

function client(url: string, name: string, db: Database, opts: Partial<SyncOptions> = {}) {
  return sync(db, { url: `${url}/db/${name}`, token: signToken(SECRET, { db: name }), auto: false, backoff, ...opts })
}

/** Every change set on the server as (device, entries bytes), to find one applied twice. */
async function changeSetsOf(url: string, name: string): Promise<{ device: string; body: string }[]> {
  const token = signToken(SECRET, { db: name })
  const sets = new Map<number, { device: string; body: string }>()
  let q = 'from=1'
  for (;;) {
    const res = await fetch(`${url}/db/${name}/pull?${q}`, { headers: { authorization: `Bearer ${token}` } })
    const page = decodePullPage(new Uint8Array(await res.arrayBuffer()))
    for (const s of page.sets) if (!sets.has(s.seq)) sets.set(s.seq, { device: s.device, body: '' })
    for (const e of page.entries) sets.get(e.seq)!.body += `${Buffer.from(e.key).toString('hex')}=${e.value ? Buffer.from(e.value).toString('hex') : '-'}@${e.hlc};`
    if (!page.next) break
    q = `from=${page.next.seq}&idx=${page.next.idx}&offset=${page.next.offset}`
  }
  return [...sets.values()]
}

function expectNoDuplicates(sets: { device: string; body: string }[]) {
  const seen = new Set<string>()
  for (const s of sets) {
    const id = `${s.device}|${s.body}`
    expect(seen.has(id), 'a change set applied twice').toBe(false)
    seen.add(id)
  }
}

/** The server is killed while a change set goes up in parts; the device retries; one change set lands. */
export async function killMidPush(start: Backend): Promise<void> {
  let srv = await start()
  const name = freshName('kill-push')
  const a = await device()
  for (let i = 0; i < 60; i++) await a.db.put(`k${String(i).padStart(2, '0')}`, 'v'.repeat(3000) + i)
  const sa = await client(srv.url, name, a.db)
  let killing: Promise<void> | undefined
  sa.addEventListener('progress', (e) => {
    const p = (e as CustomEvent).detail
    if (!killing && p.phase === 'push' && p.done >= 5 * 4096) killing = srv.kill()
  })
  await sa.syncNow().catch(() => {})
  expect(killing, 'the server was killed during the push').toBeDefined()
  await killing
  srv = await start()
  await syncUntilDone(sa)
  const b = await device()
  const sb = await client(srv.url, name, b.db)
  await sb.syncNow()
  expect(await contents(b.db)).toEqual(await contents(a.db))
  expect(await b.db.count()).toBe(60)
  expect(await headSeq({ url: `${srv.url}/db/${name}`, token: signToken(SECRET, { db: name }) })).toBe(1)
  await sa.stop()
  await sb.stop()
  await srv.stop()
}

/** The server is killed while a device pulls page by page; it retries with backoff by itself. */
export async function killMidPull(start: Backend): Promise<void> {
  let srv = await start()
  const name = freshName('kill-pull')
  const a = await device()
  const b = await device()
  await b.db.put('from-b', 1)
  const sb = await client(srv.url, name, b.db)
  await sb.syncNow() // B has a cursor: it pulls the log, not the state
  await sb.stop()
  for (let i = 0; i < 60; i++) await a.db.put(`k${String(i).padStart(2, '0')}`, 'w'.repeat(3000) + i)
  const sa = await client(srv.url, name, a.db)
  await sa.syncNow()
  const auto = await client(srv.url, name, b.db, { auto: true, live: false, intervalMs: 200 })
  let killing: Promise<void> | undefined
  auto.addEventListener('progress', (e) => {
    const p = (e as CustomEvent).detail
    if (!killing && p.phase === 'pull') killing = srv.kill()
  })
  await until(() => killing !== undefined)
  await killing
  srv = await start()
  await until(async () => (await b.db.count()) === 61)
  await until(() => auto.status.state === 'idle')
  await sa.syncNow()
  expect(await contents(b.db)).toEqual(await contents(a.db))
  expect((await changeSetsOf(srv.url, name)).length).toBe(2)
  await sa.stop()
  await auto.stop()
  await srv.stop()
}

/** Three devices write and sync on their own while the server is killed twice. */
export async function killAtRandom(start: Backend, seed: number): Promise<void> {
  let srv = await start()
  const name = freshName('kill-random')
  let r = seed
  const rand = () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 2 ** 32)
  const devs = await Promise.all([0, 1, 2].map(async () => (await device()).db))
  const handles = await Promise.all(devs.map((db) => client(srv.url, name, db, { auto: true, live: false, intervalMs: 150, debounceMs: 5 })))
  let writing = true
  const writers = devs.map(async (db, d) => {
    for (let i = 0; writing; i++) {
      await db.put(`d${d}:${String(i).padStart(3, '0')}`, i)
      if (rand() < 0.3) await db.put('shared', `d${d}:${i}`)
      await new Promise((res) => setTimeout(res, 5 + rand() * 30))
    }
  })
  for (let k = 0; k < 2; k++) {
    await new Promise((res) => setTimeout(res, 300 + rand() * 700))
    await srv.kill()
    await new Promise((res) => setTimeout(res, rand() * 300))
    srv = await start()
  }
  writing = false
  await Promise.all(writers)
  const head = async () => headSeq({ url: `${srv.url}/db/${name}`, token: signToken(SECRET, { db: name }) })
  await until(async () => {
    const h = await head()
    const states = await Promise.all(devs.map(contents))
    return handles.every((x) => x.status.state === 'idle' && x.status.cursor === h) && states.every((s) => JSON.stringify(s) === JSON.stringify(states[0]))
  }, 120_000)
  // every write is everywhere: each device's last counter key is on the others
  const all = await contents(devs[0]!)
  for (const db of devs) for (const [k] of await contents(db)) expect(all.some(([x]) => x === k)).toBe(true)
  expectNoDuplicates(await changeSetsOf(srv.url, name))
  for (const h of handles) await h.stop()
  await srv.stop()
}
