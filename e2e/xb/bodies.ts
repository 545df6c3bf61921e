// Page-side test bodies: self-contained functions run in the page by any driver (drivers.ts) or by
// Playwright's page.evaluate. Each takes one JSON argument and returns JSON. They use the test
// page's `window.cowdb` (demo/test/db.html).

/* eslint-disable @typescript-eslint/no-explicit-any */
type Arg = { name: string; store?: string; [k: string]: unknown }

/** Writes, snapshots, overwrites; reads at the snapshot; closes. Returns the snapshot id and what stats() said. */
export async function writeAndSnapshot({ name, store }: Arg) {
  const db = await (window as any).cowdb.openDB(name, { store })
  await db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put', key: `k${String(i).padStart(5, '0')}`, value: { i, text: 'v' + i } })))
  const singles = []
  for (let i = 0; i < 200; i++) singles.push(db.put(['single', i], new Uint8Array([i, i + 1])))
  await Promise.all(singles)
  const snap = await db.snapshot({ label: 'before' })
  const more = []
  for (let i = 0; i < 3000; i += 2) more.push(i % 4 === 0 ? db.put(`k${String(i).padStart(5, '0')}`, { i, text: 'new' }) : db.delete(`k${String(i).padStart(5, '0')}`))
  await Promise.all(more)
  const atSnap = await db.get('k00002', { snapshot: snap.id })
  const head = await db.get('k00002')
  const stats = await db.stats()
  await db.close()
  return { snap: snap.id, atSnap, head, storage: stats.storage }
}

/** Reopens and checks every key at head and at the snapshot, count and verify(). Returns what was wrong. */
export async function readBack({ name, store, snap }: Arg) {
  const db = await (window as any).cowdb.openDB(name, { store })
  const wrong: string[] = []
  const keys = Array.from({ length: 3000 }, (_, i) => `k${String(i).padStart(5, '0')}`)
  const head = await db.getMany(keys)
  const at = await db.getMany(keys, { snapshot: snap })
  keys.forEach((k, i) => {
    const want = i % 2 === 1 ? { i, text: 'v' + i } : i % 4 === 0 ? { i, text: 'new' } : undefined
    if (JSON.stringify(head[i]) !== JSON.stringify(want)) wrong.push(`head ${k}`)
    if (JSON.stringify(at[i]) !== JSON.stringify({ i, text: 'v' + i })) wrong.push(`snapshot ${k}`)
  })
  const single = await db.get(['single', 7])
  if (!(single instanceof Uint8Array) || single[0] !== 7 || single[1] !== 8) wrong.push('binary value')
  if ((await db.count()) !== 2250 + 200) wrong.push(`count ${await db.count()}`)
  const report = await db.verify()
  if (!report.ok) wrong.push('verify: ' + report.errors[0]?.message)
  const storage = (await db.stats()).storage
  await db.close()
  return { wrong: wrong.slice(0, 10), storage }
}

/** Opens the database for a tab and keeps it on `window.shared`, listening to changes. */
export async function openShared({ name, store }: Arg) {
  const w = window as any
  w.seen = []
  w.shared = await w.cowdb.openDB(name, { store })
  await w.shared.subscribe({}, (e: any) => w.seen.push(...e.changes.map((c: any) => c.key)))
  return await w.shared.role()
}

/** Writes `count` keys with prefix `prefix` through `window.shared`, awaited; returns the role then. */
export async function writeShared({ prefix, count }: Arg & { prefix: string; count: number }) {
  const db = (window as any).shared
  await Promise.all(Array.from({ length: count }, (_, i) => db.put(`${prefix}${i}`, i)))
  return await db.role()
}

/** What `window.shared` reads now: role, values of both tabs' keys, events seen, verify. */
export async function checkShared(_: Arg) {
  const w = window as any
  const db = w.shared
  await db.put('after-handover', 1)
  const got = await db.getMany(['a0', 'a99', 'b0', 'b199', 'after-handover'])
  await new Promise((r) => setTimeout(r, 100))
  const out = { role: await db.role(), got, sawOther: w.seen.includes('a99'), ok: (await db.verify()).ok }
  await db.close()
  return out
}

/**
 * Fires 600 puts one by one (each its own commit), and ends the worker (as a crash or a killed
 * tab would) once 150 are acknowledged. Returns the acknowledged ones.
 */
export async function killMidWrite({ name, store }: Arg) {
  const db = await (window as any).cowdb.openDB(name, { store })
  await db.put('before', 'x')
  const acked: number[] = []
  let killed = false
  await new Promise<void>((resolve) => {
    let settled = 0
    for (let i = 0; i < 600; i++) {
      db.put(`w${i}`, { i })
        .then(
          () => {
            if (!killed) acked.push(i)
            if (!killed && acked.length >= 150) {
              killed = true
              db.terminate()
              resolve()
            }
          },
          () => {},
        )
        .finally(() => ++settled === 600 && resolve())
    }
  })
  return acked
}

/** Opens again after killMidWrite: every acknowledged key must be there. */
export async function checkAfterKill({ name, store, acked }: Arg & { acked: number[] }) {
  const again = await (window as any).cowdb.openDB(name, { store })
  const values = await again.getMany(acked.map((i) => `w${i}`))
  const lost = acked.filter((i, j) => values[j]?.i !== i)
  const count = await again.count()
  const ok = (await again.verify()).ok
  const stats = await again.stats()
  await again.close()
  return { acked: acked.length, lost: lost.length, count, ok, recovered: stats.recoveredRecords, store: stats.storage.store }
}

/**
 * Values round trip against the browser's own structuredClone: a fixed list of every kind of
 * value plus seeded random nested ones; each must read back as structuredClone(value) does.
 */
export async function valuesDifferential({ name, store, seed }: Arg & { seed: number }) {
  let s = seed >>> 0
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  // a canonical description: types, own enumerable entries, shared references and cycles by index
  const describe = (v: unknown, seen = new Map<unknown, number>()): unknown => {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'number') return Object.is(v, -0) ? 'number:-0' : `number:${v}`
      if (typeof v === 'bigint') return `bigint:${v}`
      return `${typeof v}:${String(v)}`
    }
    if (seen.has(v)) return `ref:${seen.get(v)}`
    seen.set(v, seen.size)
    const tag = Object.prototype.toString.call(v)
    if (v instanceof Date) return [tag, v.getTime()]
    if (v instanceof RegExp) return [tag, v.source, v.flags]
    if (v instanceof ArrayBuffer) return [tag, [...new Uint8Array(v)]]
    if (ArrayBuffer.isView(v)) return [tag, [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)]]
    if (v instanceof Map) return [tag, [...v].map(([k, x]) => [describe(k, seen), describe(x, seen)])]
    if (v instanceof Set) return [tag, [...v].map((x) => describe(x, seen))]
    if (v instanceof Error) return [tag, v.name, v.message]
    if (v instanceof Boolean || v instanceof Number || v instanceof String || v instanceof BigInt) return [tag, describe(v.valueOf(), seen)]
    return [tag, Array.isArray(v) ? v.length : 0, Object.keys(v).map((k) => [k, describe((v as any)[k], seen)])]
  }
  const fixed: unknown[] = [
    0, -0, NaN, Infinity, -1.5, 2 ** 53 - 1, 123n, -(2n ** 70n), '', 'text \u{1F600} \uD800', true, false, null,
    new Date(0), new Date(8.64e15), /a+b/giu, new Uint8Array([1, 2, 3]), new Int16Array([-1, 300]), new Float64Array([0.1, -0]),
    new BigInt64Array([-5n]), new Uint8Array(new ArrayBuffer(8), 2, 3), new ArrayBuffer(5), new DataView(new Uint8Array([9, 8]).buffer),
    new Map<unknown, unknown>([[1, 'a'], ['k', new Set([1, 2])]]), new Set(['x', 2, null]), new Error('boom'), new RangeError('range'),
    new Boolean(false), new Number(3), new String('s'), Object(10n), [1, , 3], { a: 1, b: [2, { c: 3 }] }, new Array(5),
  ]
  const shared = { n: 1 }
  const cyc: any = { name: 'cycle' }
  cyc.self = cyc
  fixed.push({ x: shared, y: shared }, cyc, [cyc, cyc])
  const leaf = (): unknown => {
    const r = rand()
    if (r < 0.2) return Math.floor(rand() * 1e6) - 5e5
    if (r < 0.35) return String.fromCharCode(...Array.from({ length: Math.floor(rand() * 12) }, () => Math.floor(rand() * 0xffff)))
    if (r < 0.45) return new Date(Math.floor(rand() * 4e12))
    if (r < 0.55) return BigInt(Math.floor(rand() * 1e9)) * 1000003n
    if (r < 0.65) return Uint8Array.from({ length: Math.floor(rand() * 20) }, () => Math.floor(rand() * 256))
    if (r < 0.7) return rand() < 0.5 ? null : undefined
    return rand()
  }
  const tree = (depth: number): unknown => {
    if (depth === 0 || rand() < 0.3) return leaf()
    const r = rand()
    const n = Math.floor(rand() * 4)
    if (r < 0.35) return Array.from({ length: n }, () => tree(depth - 1))
    if (r < 0.5) return new Map(Array.from({ length: n }, () => [leaf(), tree(depth - 1)]))
    if (r < 0.6) return new Set(Array.from({ length: n }, () => leaf()))
    return Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, tree(depth - 1)]))
  }
  const values = [...fixed, ...Array.from({ length: 200 }, () => tree(4))].filter((v) => v !== undefined)
  const db = await (window as any).cowdb.openDB(name, { store })
  // a value the engine refuses (TypeError: a kind it does not store yet) is reported, not compared
  const puts = await Promise.allSettled(values.map((v, i) => db.put(i, v)))
  const refusedKinds = new Set<string>()
  puts.forEach((p, i) => {
    if (p.status === 'rejected') {
      if (p.reason?.name !== 'TypeError') throw p.reason
      refusedKinds.add(String(p.reason.message).replace(/^cowdb: (an? )?/, '').split(' ')[0]!)
    }
  })
  const got = await Promise.allSettled(values.map((_, i) => db.get(i)))
  const mismatches: string[] = []
  values.forEach((v, i) => {
    if (puts[i]!.status === 'rejected') return
    const want = JSON.stringify(describe(structuredClone(v)))
    const read = got[i]!
    const have = read.status === 'fulfilled' ? JSON.stringify(describe(read.value)) : `read failed: ${read.reason?.name}: ${read.reason?.message}`
    if (want !== have) mismatches.push(`#${i}: want ${want.slice(0, 120)} got ${have.slice(0, 120)}`)
  })
  // and a value structuredClone refuses is refused with DataCloneError, nothing written
  let refused = ''
  try {
    await db.put('fn', { f: () => 1 })
  } catch (e: any) {
    refused = e.name
  }
  const trace = await db.get('fn')
  await db.close()
  const checked = puts.filter((p) => p.status === 'fulfilled').length
  return { checked, refusedKinds: [...refusedKinds], mismatches: mismatches.slice(0, 5), refused, trace: trace === undefined ? null : 'written' }
}

/** Key order against the browser's own indexedDB.cmp: seeded random keys of every type, scanned back. */
export async function keysDifferential({ name, store, seed }: Arg & { seed: number }) {
  let s = seed >>> 0
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const scalar = (): unknown => {
    const r = rand()
    if (r < 0.25) return rand() < 0.1 ? [Infinity, -Infinity, 0, -1e300, 5e-324][Math.floor(rand() * 5)] : (rand() - 0.5) * 10 ** Math.floor(rand() * 12)
    if (r < 0.4) return new Date(Math.floor((rand() - 0.3) * 4e12))
    if (r < 0.7) return String.fromCharCode(...Array.from({ length: Math.floor(rand() * 6) }, () => (rand() < 0.7 ? 97 + Math.floor(rand() * 4) : Math.floor(rand() * 0xffff))))
    return Uint8Array.from({ length: Math.floor(rand() * 5) }, () => Math.floor(rand() * 256))
  }
  const key = (depth: number): unknown => (depth > 0 && rand() < 0.25 ? Array.from({ length: Math.floor(rand() * 4) }, () => key(depth - 1)) : scalar())
  const db = await (window as any).cowdb.openDB(name, { store })
  // Date keys are in the API; an engine without them yet is tested on the other types (reported)
  const dates = await db.put(new Date(0), 0).then(() => db.delete(new Date(0)).then(() => true), () => false)
  const hasDate = (k: unknown): boolean => k instanceof Date || (Array.isArray(k) && k.some(hasDate))
  const keys = Array.from({ length: 400 }, () => key(2)).filter((k) => dates || !hasDate(k))
  const describe = (k: unknown): string =>
    k instanceof Date ? `d${k.getTime()}` : k instanceof Uint8Array ? `b${[...k]}` : Array.isArray(k) ? `[${k.map(describe).join(',')}]` : typeof k === 'number' ? `n${k}` : `s${JSON.stringify(k)}`
  const sorted = [...keys].sort((a, b) => indexedDB.cmp(a, b))
  const expected: unknown[] = []
  for (const k of sorted) if (!expected.length || indexedDB.cmp(expected[expected.length - 1], k) !== 0) expected.push(k)
  await Promise.all(keys.map((k, i) => db.put(k as any, i)))
  const rows: [unknown, number][] = await db.scan({ limit: 10_000 })
  const reverse: [unknown, number][] = await db.scan({ limit: 10_000, reverse: true })
  await db.close()
  const got = rows.map(([k]) => describe(k))
  const want = expected.map(describe)
  const firstDiff = want.findIndex((w, i) => got[i] !== w)
  return {
    checked: keys.length,
    dates,
    distinct: want.length,
    same: firstDiff === -1 && got.length === want.length,
    firstDiff: firstDiff === -1 ? null : { at: firstDiff, want: want[firstDiff], got: got[firstDiff] },
    reverseSame: JSON.stringify(reverse.map(([k]) => describe(k)).reverse()) === JSON.stringify(got),
  }
}

/** Opens, writes, snapshots, checkpoints, writes more (left in the WAL) and ends the worker. */
export async function fillForClearing({ name }: Arg) {
  const db = await (window as any).cowdb.openDB(name)
  await db.batch(Array.from({ length: 500 }, (_, i) => ({ type: 'put', key: i, value: `v${i}` })))
  const snap = await db.snapshot({ label: 'kept' })
  await db.checkpoint()
  await Promise.all(Array.from({ length: 50 }, (_, i) => db.put(1000 + i, 'in the WAL')))
  const store = (await db.stats()).storage.store
  db.terminate() // no closing checkpoint: the last writes are only in the WAL
  return { snap: snap.id, store }
}

/** Deletes parts of a database as a browser's "clear site data" for one kind of storage would. */
export async function clearParts({ name, opfs, idb }: Arg & { opfs: boolean; idb: boolean }) {
  if (opfs) {
    const root = await navigator.storage.getDirectory()
    await (await root.getDirectoryHandle('cowdb')).removeEntry(name, { recursive: true })
  }
  if (idb) {
    await new Promise<void>((resolve, reject) => {
      const r = indexedDB.deleteDatabase(`cowdb:${name}`)
      r.onsuccess = () => resolve()
      r.onerror = () => reject(r.error)
      r.onblocked = () => reject(new Error('deleteDatabase blocked'))
    })
  }
  return null
}

/** Tries to open: the error's class, name, `lost` and message, or what the opened database holds. */
export async function tryOpen({ name, recover }: Arg & { recover?: boolean }) {
  const { openDB, StorageLostError } = (window as any).cowdb
  try {
    const db = await openDB(name, { recover })
    const out = { opened: true, count: await db.count(), walKeys: await db.count({ gte: 1000, lt: 2000 }), snapshots: (await db.snapshots()).map((s: any) => s.label), storage: (await db.stats()).storage, ok: (await db.verify()).ok }
    await db.close()
    return out
  } catch (e: any) {
    return { opened: false, name: e.name, typed: e instanceof StorageLostError, lost: e.lost ?? null, message: String(e.message) }
  }
}

/** deleteDB, then a fresh open: empty and created. */
export async function startOver({ name }: Arg) {
  const { openDB, deleteDB } = (window as any).cowdb
  await deleteDB(name)
  const db = await openDB(name)
  const out = { count: await db.count(), created: (await db.stats()).storage.created }
  await db.close()
  return out
}

/** persist: true, stats().storage, and a quota event with a tiny warning share. */
export async function lifecycle({ name, store }: Arg) {
  const db = await (window as any).cowdb.openDB(name, { store, persist: true, quotaWarning: 1e-9 })
  const events: any[] = []
  db.addEventListener('quota', (e: any) => events.push(e.detail))
  const persistence = await Promise.race([db.persistence, new Promise((r) => setTimeout(() => r('no answer in 5 s'), 5000))])
  for (let round = 0; round < 3 && !events.length; round++) {
    await db.batch(Array.from({ length: 500 }, (_, i) => ({ type: 'put', key: `q${round}:${i}`, value: 'x'.repeat(100) })))
    await new Promise((r) => setTimeout(r, 1100))
    await db.put('tick', round)
    await new Promise((r) => setTimeout(r, 300))
  }
  const storage = (await db.stats()).storage
  await db.close()
  return { persistence, storage, event: events[0] ?? null }
}

/** The typed error (never a hang) when the OPFS store is demanded where OPFS cannot work. */
export async function demandOpfs({ name }: Arg) {
  const { openDB, UnsupportedError } = (window as any).cowdb
  try {
    const db = await openDB(name, { store: 'opfs' })
    await db.close()
    return { opened: true }
  } catch (e: any) {
    return { opened: false, name: e.name, typed: e instanceof UnsupportedError, message: String(e.message) }
  }
}

/** What this browser offers cowdb, probed in a dedicated worker and on the page. */
export async function features(_: Arg) {
  const src = `(async () => {
    const out = {}
    const step = async (k, f) => { try { out[k] = await f() } catch (e) { out[k] = 'no: ' + e.name + ': ' + e.message } }
    let dir, fh
    await step('opfs', async () => { dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('cowdb-probe', { create: true }); fh = await dir.getFileHandle('f', { create: true }); return 'yes' })
    await step('syncAccessHandle', async () => { if (!fh) return 'no: no OPFS'; if (typeof fh.createSyncAccessHandle !== 'function') return 'no: missing'; const h = await fh.createSyncAccessHandle(); h.close(); return 'yes' })
    await step('syncAccessHandleMode', async () => {
      if (!fh || typeof fh.createSyncAccessHandle !== 'function') return 'no: no sync access handles'
      const a = await fh.createSyncAccessHandle({ mode: 'readwrite-unsafe' })
      try { const b = await fh.createSyncAccessHandle({ mode: 'readwrite-unsafe' }); b.close(); return 'yes' } catch (e) { return 'no: option ignored (' + e.name + ')' } finally { a.close() }
    })
    await step('writableStream', async () => (fh && typeof fh.createWritable === 'function' ? 'yes' : 'no'))
    await step('webLocks', async () => (navigator.locks ? 'yes' : 'no'))
    await step('broadcastChannel', async () => (typeof BroadcastChannel === 'function' ? 'yes' : 'no'))
    await step('storageEstimate', async () => { const e = await navigator.storage.estimate(); return typeof e.quota === 'number' ? 'yes' : 'no' })
    if (dir) await (await navigator.storage.getDirectory()).removeEntry('cowdb-probe', { recursive: true }).catch(() => {})
    postMessage(out) })()`
  const worker = await new Promise<Record<string, string>>((resolve) => {
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' })
    w.onmessage = (e) => (w.terminate(), resolve(e.data))
    w.onerror = (e) => (w.terminate(), resolve({ worker: 'no: ' + e.message }))
  })
  return {
    ...worker,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function' ? (crossOriginIsolated ? 'yes (cross-origin isolated)' : 'yes') : crossOriginIsolated ? 'no (even cross-origin isolated)' : 'no',
    persist: typeof navigator.storage?.persist === 'function' ? 'yes' : 'no',
    indexedDB: typeof indexedDB === 'object' ? 'yes' : 'no',
  }
}

/** Opens, closes, and opens another database in the same page: what the second open gives. */
export async function reopenInPage({ name }: Arg) {
  const { openDB } = (window as any).cowdb
  const first = await openDB(`${name}-1`)
  await first.put('k', 1)
  await first.close()
  const t0 = performance.now()
  try {
    const second = await openDB(`${name}-2`)
    await second.put('k', 2)
    const v = await second.get('k')
    await second.close()
    return { opened: true, value: v, ms: Math.round(performance.now() - t0) }
  } catch (e: any) {
    return { opened: false, name: e.name, message: String(e.message), ms: Math.round(performance.now() - t0) }
  }
}
