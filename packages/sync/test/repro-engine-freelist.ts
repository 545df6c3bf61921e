// Not a test: a repro of an engine bug for the lead (npx tsx packages/sync/test/repro-engine-freelist.ts 100000,
// needs COWDB_SYNC_POSTGRES or edit the store): 100,000 keys in main, then sync starts (branches
// and snapshots of a non-empty main) and pushes; a proxy runs verify() after each write and
// prints the first one after which pages reachable from a head are on the free list; then a
// read fails with CorruptionError (stale pointer). Remove once core is fixed.
import { Database, MemoryStorage } from '@cowdb/core'
import { createSyncServer, signToken, signedTokens } from '../src/server/index.ts'
import { sync } from '../src/index.ts'
const S = 'bench-secret-0123456789'
const server = await createSyncServer({ store: process.env.COWDB_SYNC_POSTGRES ? { postgres: process.env.COWDB_SYNC_POSTGRES } : {}, authorize: signedTokens(S) })
const base = await server.listen(0)
const n = Number(process.argv[2] ?? 10000)
let stop = false
function watched(db: Database, tag: string) {
  return new Proxy(db, { get(t, p) { const v = Reflect.get(t, p, t); if (typeof v !== 'function') return v; return async (...args: unknown[]) => {
    const r = await v.apply(t, args)
    if (!stop && ['batch', 'transaction', 'snapshot', 'dropSnapshot', 'deleteRange', 'branch', 'put'].includes(p as string)) {
      const ver = await t.verify(); if (!ver.ok) { stop = true; console.log('FIRST BAD after', tag, String(p), JSON.stringify(args).slice(0, 300), JSON.stringify(ver.errors.slice(0, 2))) }
    }
    return r } } })
}
const a = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
const b = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
const value = new Uint8Array(100).fill(3)
for (let i = 0; i < n; i += 10_000) await a.batch(Array.from({ length: Math.min(10_000, n - i) }, (_, j) => ({ type: 'put' as const, key: `k${String(i + j).padStart(7, '0')}`, value })))
const name = 'r5-' + Date.now()
const ha = await sync(watched(a, 'A') as any, { url: `${base}/db/${name}`, token: signToken(S, { db: name }), auto: false })
const hb = await sync(watched(b, 'B') as any, { url: `${base}/db/${name}`, token: signToken(S, { db: name }), auto: false })
for (let i = 0; i < n; i += 10_000) { await a.batch(Array.from({ length: Math.min(10_000, n - i) }, (_, j) => ({ type: 'put' as const, key: `k${String(i + j).padStart(7, '0')}`, value }))); await ha.syncNow() }
console.log('A synced'); await hb.syncNow(); console.log('B synced')
for (let r = 0; r < 7 && !stop; r++) { await a.put(`k${String((r * 7919) % n).padStart(7, '0')}`, new Uint8Array(100).fill(r)); await ha.syncNow(); await hb.syncNow() }
console.log('end', (await a.verify()).ok, (await b.verify()).ok)
await ha.stop(); await hb.stop(); await server.close()
