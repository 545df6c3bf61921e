// Format 1 for tests and benchmarks (docs/format.md), written here from its description, sharing
// no code with the engine's converters (legacy.ts): keys as format 1 encoded them, values as
// format 1's codec (msgpackr) wrote strings and byte arrays, and format-1 stores made by today's
// engine. That works because the engine orders keys by their bytes and keeps values as bytes:
// fed format-1 bytes through encoded ops (commitPlan), it does what format-1 code did, and a Meta
// saved with version 1 makes the result a format-1 store, as the committed fixtures are.

// through the index, as an app would (only index.ts imports the facade: scripts/check-deps.mjs)
import { Database, MemoryStorage, decodeKey, encodeKey, readBackup, type Commit, type Key, type Meta } from '../src/index.js'
import type { EncodedOp } from '../src/ops.js'
import { idbCompare } from './idb-order.js'

/** A key's format-1 bytes: strings by code point (astral characters as 4-byte UTF-8). */
export function formatOneKey(k: Key): Uint8Array {
  if (typeof k !== 'string' && !Array.isArray(k)) return encodeKey(k) // numbers and binary kept their bytes
  const out: number[] = []
  const put = (x: Key) => {
    if (Array.isArray(x)) {
      out.push(0x40)
      x.forEach(put)
      out.push(0)
    } else if (typeof x === 'string') {
      out.push(0x20)
      for (const ch of x) {
        const cp = ch.codePointAt(0)!
        const utf8 = cp < 0x80 ? [cp] : cp < 0x800 ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)] : cp < 0x10000 ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)] : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
        for (const b of utf8) out.push(...(b === 0 ? [0, 0xff] : [b]))
      }
      out.push(0, 0)
    } else out.push(...encodeKey(x))
  }
  put(k)
  return Uint8Array.from(out)
}

const utf8 = new TextEncoder()

/** A string as format 1's codec stored it: a MessagePack str (fixstr, str 8 or str 16). */
export function formatOneString(s: string): Uint8Array {
  const b = utf8.encode(s)
  if (b.length > 0xffff) throw new RangeError('formatOneString: up to 65,535 bytes')
  const head = b.length < 32 ? [0xa0 | b.length] : b.length < 256 ? [0xd9, b.length] : [0xda, b.length >> 8, b.length & 255]
  const out = new Uint8Array(head.length + b.length)
  out.set(head)
  out.set(b, head.length)
  return out
}

/** A Uint8Array as format 1 stored it: 0xC1, then its bytes. */
export function formatOneBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length + 1)
  out[0] = 0xc1
  out.set(b, 1)
  return out
}

/** The string or bytes a formatOneString / formatOneBytes value holds. */
export function readFormatOne(v: Uint8Array): string | Uint8Array {
  if (v[0] === 0xc1) return v.slice(1)
  const [at, n] = v[0]! >> 5 === 5 ? [1, v[0]! & 31] : v[0] === 0xd9 ? [2, v[1]!] : v[0] === 0xda ? [3, (v[1]! << 8) | v[2]!] : [-1, 0]
  if (at < 0 || at + n !== v.length) throw new Error(`readFormatOne: not a value formatOne* wrote (${v[0]})`)
  return new TextDecoder().decode(v.subarray(at, at + n))
}

/** An op on format-1 keys and values. */
export type FormatOneOp = { type: 'put'; key: Key; value: Uint8Array } | { type: 'delete'; key: Key } | { type: 'deleteRange'; gte?: Key; lt?: Key }

/** Commits `ops` with format-1 bytes, as format-1 code would have (range bounds too). */
export function commitFormatOne(db: Pick<Database, 'commitPlan'>, ops: FormatOneOp[], branch?: string): Promise<Commit> {
  const encoded: EncodedOp[] = ops.map((o) =>
    o.type === 'put'
      ? { type: 'put', key: formatOneKey(o.key), value: o.value }
      : o.type === 'delete'
        ? { type: 'delete', key: formatOneKey(o.key) }
        : {
            type: 'deleteRange',
            range: { loInclusive: true, hiInclusive: false, ...(o.gte !== undefined ? { lo: formatOneKey(o.gte) } : {}), ...(o.lt !== undefined ? { hi: formatOneKey(o.lt) } : {}) },
          },
  )
  return db.commitPlan({ startGeneration: 0, reads: [], ranges: [], ops: encoded }, branch === undefined ? undefined : { branch })
}

/** `meta` labelled with format version `v` (what turns a store fed format-1 bytes into one). */
export const withVersion = (meta: Meta, v: number): Meta => ({ ...meta, version: v as Meta['version'] })

/** A copy of `s` as a restart would find it, its Meta labelled format `version`. */
export function copyStorage(s: MemoryStorage, version: number): MemoryStorage {
  const c = new MemoryStorage()
  c.pages.write(0, s.pages.bytes().slice())
  c.wal.write(0, s.wal.bytes().slice())
  c.meta.meta = withVersion(structuredClone(s.meta.meta!), version)
  return c
}

/** Everything a store shows: branches, snapshots, retention, and every head's and snapshot's entries. */
export type Contents = {
  branches: { name: string; history: number; undoable: number; redoable: number }[]
  snapshots: { id: string; generation: number; createdAt: number; label?: string; kind?: string; branch?: string }[]
  retention: unknown
  /** By snapshot id or branch name: [key JSON, value] rows. */
  roots: Record<string, string[][]>
}

const show = (v: unknown) => (v instanceof Uint8Array ? `bytes:${Array.from(v)}` : JSON.stringify(v))
const branchRows = async (db: Database) => (await db.branches()).map(({ name, history, undoable, redoable }) => ({ name, history, undoable, redoable }))
const snapRows = async (db: Database) =>
  (await db.snapshots()).map(({ id, generation, createdAt, label, kind, branch }) => ({ id, generation, createdAt, kind, branch, ...(label !== undefined ? { label } : {}) }))

/**
 * What format-1 code read from store `s` (its keys JSON-able, its values formatOne*): `s` opened
 * as it is by the byte-ordered engine, labelled format 2 so that nothing migrates, every root's
 * stored bytes read through a backup (records are the stored bytes) and decoded here, in
 * IndexedDB order. `s` itself is not touched.
 */
export async function unmigratedContents(s: MemoryStorage): Promise<Contents> {
  const db = await Database.open(copyStorage(s, 2), { checkpointDelayMs: 0 })
  const c: Contents = { branches: await branchRows(db), snapshots: await snapRows(db), retention: await db.getRetention(), roots: {} }
  const rows = async (at: { snapshot?: string; branch?: string }) => {
    const { records, version } = readBackup(await db.exportBackup(at))
    if (version !== 2) throw new Error(`unmigratedContents: a backup of version ${version}`) // today's: its records are the stored bytes, untouched
    const r = [...records()].map((x) => [decodeKey(x.key), x.type === 'put' ? readFormatOne(x.value) : undefined] as const)
    return r.sort((x, y) => idbCompare(x[0], y[0])).map(([k, v]) => [JSON.stringify(k), show(v)])
  }
  for (const snap of c.snapshots) c.roots[snap.id] = await rows({ snapshot: snap.id })
  for (const b of c.branches) c.roots[b.name] = await rows({ branch: b.name })
  await db.close()
  return c
}

/** What an open store shows, in its own order (to compare with unmigratedContents). */
export async function contents(db: Database): Promise<Contents> {
  const c: Contents = { branches: await branchRows(db), snapshots: await snapRows(db), retention: await db.getRetention(), roots: {} }
  const rows = async (at: { snapshot?: string; branch?: string }) => {
    const out: string[][] = []
    for await (const [k, v] of db.iterate(at)) out.push([JSON.stringify(k), show(v)])
    return out
  }
  for (const snap of c.snapshots) c.roots[snap.id] = await rows({ snapshot: snap.id })
  for (const b of c.branches) c.roots[b.name] = await rows({ branch: b.name })
  return c
}
