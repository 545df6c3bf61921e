// Key order in real Chromium, with indexedDB.cmp as the oracle (e2e/keys.spec.ts drives it):
// (a) the byte order of encodeKey on random keys from the Node tests' generators, and (b) the
// same keys end to end through the browser client: puts, scans and range scans.
import fc from 'fast-check'
import { compareKeys, decodeKey, encodeKey, type Key, type Range } from '@cowdb/core'
import * as cowdb from '@cowdb/browser'
import { anyKey, keyList } from '../../packages/core/test/key-arbitraries.ts'
import { idbCompare } from '../../packages/core/test/idb-order.ts'

/** A key's exact shape and JS types, as a string (for messages and comparisons). */
function shape(k: unknown): string {
  if (typeof k === 'number') return Object.is(k, -0) ? 'n-0' : `n${k}`
  if (typeof k === 'string') return `s${JSON.stringify(k)}`
  if (k instanceof Date) return `d${k.getTime()}`
  if (k instanceof Uint8Array) return `${k.constructor === Uint8Array ? 'b' : 'B?'}${Array.from(k).join('.')}`
  if (k instanceof ArrayBuffer) return `ab${Array.from(new Uint8Array(k)).join('.')}`
  if (Array.isArray(k)) return `[${k.map(shape).join(',')}]`
  return `?${String(k)}`
}
const cmp = (a: Key, b: Key) => indexedDB.cmp(a, b)
/** What cowdb gives back for a key: the same, with -0 as 0 (one key; docs/keys.md). */
const normal = (k: Key): Key => (Object.is(k, -0) ? 0 : Array.isArray(k) ? k.map(normal) : k)
const sign = (x: number) => Math.sign(x) | 0
const kindOf = (k: Key) => (typeof k === 'number' ? 'number' : typeof k === 'string' ? 'string' : k instanceof Date ? 'date' : k instanceof Uint8Array ? 'binary' : 'array')

type Outcome = { failed: boolean; message?: string; seed: number; runs: number; counts: Record<string, number> }

/** (a) sign(compareKeys(encodeKey(a), encodeKey(b))) === indexedDB.cmp(a, b), for every pair of each list. */
function bytes(seed: number, runs: number): Outcome {
  const counts: Record<string, number> = {}
  const details = fc.check(
    fc.property(keyList(), (keys) => {
      const enc = keys.map(encodeKey)
      for (let i = 0; i < keys.length; i++) {
        counts[kindOf(keys[i]!)] = (counts[kindOf(keys[i]!)] ?? 0) + 1
        if (shape(decodeKey(enc[i]!)) !== shape(normal(keys[i]!))) throw new Error(`round trip of ${shape(keys[i])}`)
        for (let j = 0; j < keys.length; j++) {
          const want = cmp(keys[i]!, keys[j]!)
          const got = sign(compareKeys(enc[i]!, enc[j]!))
          if (got !== want) throw new Error(`compare(${shape(keys[i])}, ${shape(keys[j])}): bytes say ${got}, indexedDB.cmp ${want}`)
          // the Node tests' oracle agrees with the browser's, so what they check is IndexedDB's order
          if (idbCompare(keys[i], keys[j]) !== want) throw new Error(`idbCompare(${shape(keys[i])}, ${shape(keys[j])}) is not indexedDB.cmp`)
        }
      }
    }),
    { seed, numRuns: runs },
  )
  return { failed: details.failed, message: details.failed ? `${String(details.errorInstance ?? '')} (seed ${details.seed}, path ${details.counterexamplePath})` : undefined, seed, runs, counts }
}

/** Distinct keys (the last write of equal keys wins), sorted by indexedDB.cmp. */
function model(entries: [Key, number][]): [Key, number][] {
  const out: [Key, number][] = []
  for (const [k, v] of entries) {
    const at = out.findIndex(([x]) => cmp(x, k) === 0)
    if (at >= 0) out[at] = [out[at]![0], v]
    else out.push([normal(k), v])
  }
  return out.sort((a, b) => cmp(a[0], b[0]))
}
const inRange = (k: Key, r: Range) =>
  (r.gt === undefined || cmp(k, r.gt) > 0) && (r.gte === undefined || cmp(k, r.gte) >= 0) && (r.lt === undefined || cmp(k, r.lt) < 0) && (r.lte === undefined || cmp(k, r.lte) <= 0)
const rows = (r: [Key, unknown][]) => r.map(([k, v]) => `${shape(k)}=${String(v)}`)

/**
 * (b) random key lists put through the client (one worker, OPFS), scanned back forward and in
 * reverse, and range scans with bounds from the generators and from the keys themselves; then
 * the last list again after the database is closed and reopened. Returns the mismatches.
 */
async function database(seed: number, runs: number): Promise<{ mismatches: string[]; keys: number; ranges: number }> {
  const lists = fc.sample(fc.tuple(keyList(40), fc.array(fc.tuple(anyKey, fc.boolean(), anyKey, fc.boolean()), { minLength: 1, maxLength: 3 })), { seed, numRuns: runs })
  const mismatches: string[] = []
  let keys = 0
  let ranges = 0
  let db = await cowdb.openDB('keys-e2e')
  const check = async (want: [Key, number][], bounds: [Key, boolean, Key, boolean][], at: string) => {
    const seen = (label: string, got: string[], exp: string[]) => {
      if (JSON.stringify(got) !== JSON.stringify(exp)) mismatches.push(`${at} ${label}: got ${got.join(' ')} want ${exp.join(' ')}`)
    }
    seen('scan', rows(await db.scan({ limit: 10_000 })), rows(want))
    seen('reverse scan', rows(await db.scan({ reverse: true, limit: 10_000 })), rows([...want].reverse()))
    for (const [lo, loOpen, hi, hiOpen] of bounds) {
      const picked = want[Math.floor(want.length / 3)]![0]
      for (const range of [
        { ...(loOpen ? { gt: lo } : { gte: lo }), ...(hiOpen ? { lt: hi } : { lte: hi }) },
        { ...(loOpen ? { gt: picked } : { gte: picked }), ...(hiOpen ? { lt: hi } : { lte: want[want.length - 1]![0] }) },
      ] as Range[]) {
        ranges++
        const label = `range ${Object.entries(range).map(([b, k]) => `${b} ${shape(k)}`).join(', ')}`
        seen(label, rows(await db.scan({ ...range, limit: 10_000 })), rows(want.filter(([k]) => inRange(k, range))))
      }
    }
  }
  let last: [[Key, number][], [Key, boolean, Key, boolean][]] | undefined
  for (const [list, bounds] of lists) {
    await db.deleteRange({})
    const written = list.map((k, i) => [k, i] as [Key, number])
    await Promise.all(written.map(([k, v]) => db.put(k, v))) // one message, one group commit, in order
    keys += list.length
    const want = model(written)
    await check(want, bounds, `list of ${list.length}`)
    last = [want, bounds]
  }
  await db.close()
  db = await cowdb.openDB('keys-e2e')
  await check(last![0], last![1], 'after reopen')
  await db.close()
  return { mismatches, keys, ranges }
}

/** What IndexedDB itself gives back for a -0 key, and for binary keys (cowdb: 0 and Uint8Array). */
async function indexedDbRoundTrip(): Promise<{ minusZeroIsMinusZero: boolean; binaryType: string }> {
  const idb = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open('keys-oracle', 1)
    req.onupgradeneeded = () => req.result.createObjectStore('s')
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
  const tx = idb.transaction('s', 'readwrite')
  tx.objectStore('s').put('v', -0)
  tx.objectStore('s').put('b', new Uint8Array([1, 2]))
  const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
    const req = tx.objectStore('s').getAllKeys()
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
  idb.close()
  return { minusZeroIsMinusZero: Object.is(keys[0], -0), binaryType: Object.prototype.toString.call(keys[1]) }
}

Object.assign(window, { keyTests: { bytes, database, indexedDbRoundTrip } })
document.body.textContent = 'ready'
