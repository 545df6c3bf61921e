// Sync benchmarks (npm run bench, section "sync"): devices are core Databases in memory, the
// server runs in this process on PGlite (and on Postgres too when COWDB_SYNC_POSTGRES is set).
//  - throughput: change sets and keys per second through push (one device) and pull (another),
//    against the same rows inserted straight into the server's database (the floor);
//  - live latency: from a commit on one device to the other device's subscribe() event, over
//    the live channel, against one bare HTTP round trip to the same server;
//  - one changed key: a sync (push + pull + merge, both devices) after 1 changed key in stores of
//    1,000 to 100,000 keys; its time should stay flat as the store grows. (The store reaches the
//    devices by a fresh restore: a first push of 100,000 keys from a device trips an engine bug,
//    see docs/sync.md.)
import { rmSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { Database, MemoryStorage, encodeKey, encodeValue } from '@cowdb/core'
import { createSyncServer, signToken, signedTokens, type SqlConfig } from '../packages/sync/src/server/index.ts'
import { encodeChangeSet, sync, type SyncHandle } from '../packages/sync/src/index.ts'
import { median, type Row } from './measure.ts'

const SECRET = 'bench-secret-0123456789'

async function withServer<T>(store: SqlConfig, fn: (dbUrl: (name: string) => string, token: (name: string) => string, raw: (sql: string, params: unknown[]) => Promise<unknown>) => Promise<T>): Promise<T> {
  const server = await createSyncServer({ store, authorize: signedTokens(SECRET), pollMs: 60_000 })
  const base = await server.listen(0)
  try {
    return await fn((n) => `${base}/db/${n}`, (n) => signToken(SECRET, { db: n }), (q, p) => server.store.sql.query(q, p))
  } finally {
    await server.close()
  }
}

const device = () => Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
let run = 0

/** Push N change sets of K keys from A, then pull them all on B; the floor inserts the same rows in SQL. */
async function throughput(store: SqlConfig, sets: number, keys: number): Promise<Row[]> {
  return withServer(store, async (dbUrl, token, raw) => {
    const name = `tp-${run++}`
    const a = await device()
    const b = await device()
    const ha = await sync(a, { url: dbUrl(name), token: token(name), auto: false })
    const value = new Uint8Array(100).fill(7)
    let t = performance.now()
    for (let s = 0; s < sets; s++) {
      await a.batch(Array.from({ length: keys }, (_, i) => ({ type: 'put' as const, key: `k${s}:${i}`, value })))
      await ha.syncNow()
    }
    const pushS = (performance.now() - t) / 1000
    const hb = await sync(b, { url: dbUrl(name), token: token(name), auto: false })
    await hb.syncNow() // fresh: restores the state
    const a2 = await device() // a device with a cursor pulls the log instead
    await a2.put('x', 1)
    const h2 = await sync(a2, { url: dbUrl(name), token: token(name), auto: false })
    t = performance.now()
    await h2.syncNow()
    const pullS = (performance.now() - t) / 1000
    // the floor: the same rows inserted by hand, one transaction per change set
    const floorName = `floor-${run++}`
    t = performance.now()
    for (let s = 0; s < sets; s++) {
      const params: unknown[] = [floorName, s + 1]
      const rows = Array.from({ length: keys }, (_, i) => `($1, $2, ${i}, $${params.push(new TextEncoder().encode(`k${s}:${i}`))}, $${params.push(value)}, 'h', 'd', true)`)
      await raw(`insert into cowdb_sync_entries (db, seq, idx, key, value, hlc, device, applied) values ${rows.join(', ')}`, params)
    }
    const floorS = (performance.now() - t) / 1000
    const ok = (await b.count()) === sets * keys && (await a2.count()) === sets * keys + 1
    for (const h of [ha, hb, h2]) await h.stop()
    const note = `${sets} change sets of ${keys} keys, 100-byte values${ok ? '' : ' (COUNTS WRONG)'}`
    return [
      { workload: `push (${store.hasOwnProperty('postgres') ? 'Postgres' : 'PGlite'})`, unit: 'keys/s', cowdb: (sets * keys) / pushS, peers: { 'rows inserted in SQL': (sets * keys) / floorS }, higherIsBetter: true, note: `${(sets / pushS).toFixed(1)} change sets/s; ${note}` },
      { workload: `pull (${store.hasOwnProperty('postgres') ? 'Postgres' : 'PGlite'})`, unit: 'keys/s', cowdb: (sets * keys) / pullS, peers: { 'rows inserted in SQL': (sets * keys) / floorS }, higherIsBetter: true, note: `${(sets / pullS).toFixed(1)} change sets/s` },
    ]
  })
}

/** Time from a put on A to B's subscribe event, both syncing on their own over the live channel. */
async function liveLatency(store: SqlConfig, rounds: number): Promise<Row> {
  return withServer(store, async (dbUrl, token) => {
    const name = `live-${run++}`
    const a = await device()
    const b = await device()
    const opts = { url: dbUrl(name), token: token(name), intervalMs: 600_000, debounceMs: 0 }
    const ha = await sync(a, opts)
    const hb = await sync(b, opts)
    while (!(ha.status.live && hb.status.live)) await new Promise((r) => setTimeout(r, 10))
    const seen = new Map<number, number>()
    const off = await b.subscribe({}, (e) => {
      for (const c of e.changes) if (c.key === 'tick') seen.set(c.after as number, performance.now())
    })
    const lat: number[] = []
    for (let i = 0; i < rounds; i++) {
      const t = performance.now()
      await a.put('tick', i)
      while (!seen.has(i)) await new Promise((r) => setTimeout(r, 1))
      lat.push(seen.get(i)! - t)
    }
    off()
    const trips: number[] = []
    for (let i = 0; i < 30; i++) {
      const t = performance.now()
      await (await fetch(`${dbUrl(name)}/head`, { headers: { authorization: `Bearer ${token(name)}` } })).json()
      trips.push(performance.now() - t)
    }
    await ha.stop()
    await hb.stop()
    const sorted = [...lat].sort((x, y) => x - y)
    return {
      workload: `commit on A seen by B (${store.hasOwnProperty('postgres') ? 'Postgres' : 'PGlite'})`,
      unit: 'ms',
      cowdb: median(lat),
      peers: { 'one HTTP round trip': median(trips) },
      higherIsBetter: false,
      note: `median of ${rounds}; p95 ${sorted[Math.floor(rounds * 0.95)]!.toFixed(1)} ms (push, NOTIFY/announce, live event, pull, merge)`,
    }
  })
}

/**
 * A sync after 1 changed key, in stores of each size: the server holds the store (pushed as
 * change sets of 10,000 keys), two fresh devices restore it, then A changes one key and both
 * sync (A: push + pull, B: pull + merge).
 */
async function oneChangedKey(store: SqlConfig, sizes: number[]): Promise<Row[]> {
  return withServer(store, async (dbUrl, token) => {
    const rows: Row[] = []
    let smallest: number | undefined
    for (const n of sizes) {
      const name = `one-${run++}`
      const value = encodeValue(new Uint8Array(100).fill(3))
      for (let i = 0; i < n; i += 10_000) {
        const entries = Array.from({ length: Math.min(10_000, n - i) }, (_, j) => ({ key: encodeKey(`k${String(i + j).padStart(7, '0')}`), value, hlc: '2026-01-01T00:00:00.000Z-000000' }))
        await seed(dbUrl(name), token(name), `seed-${i}-${run}`, encodeChangeSet({ device: 'seed', base: 0, entries }))
      }
      const a = await device()
      const b = await device()
      const ha: SyncHandle = await sync(a, { url: dbUrl(name), token: token(name), auto: false })
      const hb: SyncHandle = await sync(b, { url: dbUrl(name), token: token(name), auto: false })
      await ha.syncNow()
      await hb.syncNow()
      const times: number[] = []
      for (let r = 0; r < 7; r++) {
        await a.put(`k${String((r * 7919) % n).padStart(7, '0')}`, new Uint8Array(100).fill(r))
        const t = performance.now()
        await ha.syncNow()
        await hb.syncNow()
        times.push(performance.now() - t)
      }
      const same = ((await b.get(`k${String((6 * 7919) % n).padStart(7, '0')}`)) as Uint8Array)[0] === 6 && (await b.count()) === n
      await ha.stop()
      await hb.stop()
      const ms = median(times)
      smallest ??= ms
      rows.push({
        workload: `sync after 1 changed key in ${n.toLocaleString('en-US')} (${store.hasOwnProperty('postgres') ? 'Postgres' : 'PGlite'})`,
        unit: 'ms',
        cowdb: ms,
        peers: { [`same at ${sizes[0]!.toLocaleString('en-US')} keys`]: smallest },
        higherIsBetter: false,
        note: `median of 7; both devices' rounds${same ? '' : ' (WRONG VALUE ON B)'}`,
      })
    }
    return rows
  })
}

/** Pushes a change set straight to the server, in 1 MiB parts. */
async function seed(url: string, token: string, id: string, body: Uint8Array): Promise<void> {
  const headers = { authorization: `Bearer ${token}` }
  const parts = Math.ceil(body.length / (1 << 20))
  for (let p = 0; p < parts; p++) await fetch(`${url}/push/${id}/parts/${p}`, { method: 'PUT', headers, body: body.subarray(p << 20, (p + 1) << 20) as Uint8Array<ArrayBuffer> })
  const commit = { parts, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') }
  const res = await fetch(`${url}/push/${id}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(commit) })
  if (res.status !== 200) throw new Error(`seeding failed: ${res.status} ${await res.text()}`)
}

/** Every sync row, on PGlite (and on Postgres when COWDB_SYNC_POSTGRES is set). */
export async function syncBench(quick: boolean): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-bench-sync-'))
  const stores: SqlConfig[] = [{ dataDir: dir }]
  if (process.env.COWDB_SYNC_POSTGRES) stores.push({ postgres: process.env.COWDB_SYNC_POSTGRES })
  const rows: Row[] = []
  try {
    for (const store of stores) {
      rows.push(...(await throughput(store, quick ? 20 : 100, quick ? 50 : 100)))
      rows.push(await liveLatency(store, quick ? 20 : 50))
      rows.push(...(await oneChangedKey(store, quick ? [1_000, 10_000] : [1_000, 10_000, 100_000])))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}
