// The WAL record vocabulary: what each kind of record says and its bytes. The log itself
// (wal.ts) only frames, chains and replays opaque bodies; this file is the log-side twin of
// page.ts. Every body is built from ByteWriter fields (u8, u32, f64, length-prefixed bytes and
// UTF-8 strings, all big-endian):
//
//   Commit        stamp | ops (ops.ts)                 a commit of puts, deletes, range deletes
//   Snapshot      id | generation f64 | createdAt f64 | kind | branch | hasLabel u8 [| label]
//   DropSnapshot  id
//   Restore       stamp | snapshot id                  head := a snapshot's root, as a commit
//   Move          branch | history id                  undo/redo: head := a history entry's root
//   Branch        name | from ('' = main's head)
//   DropBranch    name
//   Retention     JSON of the retention policy [| branch]  (no branch: the database's default;
//                 with one, that head's own: a trailing field, so older bodies decode unchanged)
//   Group         count u32 | (type u8 | bytes body) × count   records applied as one (format 2)
//   Tenant        name | start u8 (0 empty, 1 a tenant's head, 2 a snapshot) | from
//                 | hasRetention u8 [| JSON of its own retention]   a new tenant (tenants.ts)
//   DropTenant    name                                 the tenant's head and every snapshot of it
//
//   stamp = branch | count u8 | history id × count      (the history ids a commit pushes)

import { ByteReader, ByteWriter } from './bytes.js'
import type { Snap } from './catalog.js'
import { CorruptionError } from './errors.js'
import type { CatalogChange } from './events.js'
import { retentionPolicy, type RetentionPolicy, type Stamp, type TenantStart } from './heads.js'
import { readOps, writeOps, type EncodedOp } from './ops.js'
import type { Retention } from './types.js'

export const enum RecordType {
  Commit = 1,
  Snapshot = 2,
  DropSnapshot = 3,
  Restore = 4,
  /** Undo/redo: a head moves to one of its history entries. */
  Move = 5,
  Branch = 6,
  DropBranch = 7,
  Retention = 8,
  /** Several records that take effect together or not at all (e.g. an import and its snapshot). */
  Group = 9,
  /** A new tenant: an isolated head, empty or a clone of another tenant's head or snapshot. */
  Tenant = 10,
  /** A tenant goes, with every snapshot of its stream. */
  DropTenant = 11,
}


/** A snapshot as its record carries it: the root is the head's when the record applies. */
export type SnapshotBody = Omit<Snap, 'root'>

export type LogRecord =
  | { type: RecordType.Commit; stamp: Stamp; ops: EncodedOp[] }
  | { type: RecordType.Snapshot; snap: SnapshotBody }
  | { type: RecordType.DropSnapshot; id: string }
  | { type: RecordType.Restore; stamp: Stamp; id: string }
  | { type: RecordType.Move; branch: string; id: string }
  | { type: RecordType.Branch; name: string; from: string }
  | { type: RecordType.DropBranch; name: string }
  | { type: RecordType.Retention; policy: RetentionPolicy; branch?: string }
  | { type: RecordType.Group; records: LogRecord[] }
  | { type: RecordType.Tenant; name: string; start: TenantStart; from: string; retention?: RetentionPolicy }
  | { type: RecordType.DropTenant; name: string }

/**
 * The body of a record. The Commit body is a view into a fresh buffer, valid until the caller
 * drops it. Cost: O(body bytes).
 */
export function encodeRecord(r: LogRecord): Uint8Array {
  switch (r.type) {
    case RecordType.Commit:
      return writeOps(r.ops, (w) => writeStamp(w, r.stamp))
    case RecordType.Snapshot: {
      const s = r.snap
      const w = new ByteWriter().str(s.id).f64(s.generation).f64(s.createdAt).str(s.kind).str(s.branch)
      w.u8(s.label === undefined ? 0 : 1)
      if (s.label !== undefined) w.str(s.label)
      return w.view().slice()
    }
    case RecordType.DropSnapshot:
      return new ByteWriter().str(r.id).view()
    case RecordType.Restore:
      return writeStamp(new ByteWriter(), r.stamp).str(r.id).view()
    case RecordType.Move:
      return new ByteWriter().str(r.branch).str(r.id).view()
    case RecordType.Branch:
      return new ByteWriter().str(r.name).str(r.from).view()
    case RecordType.DropBranch:
      return new ByteWriter().str(r.name).view()
    case RecordType.Retention: {
      const w = new ByteWriter().str(JSON.stringify(r.policy))
      return (r.branch === undefined ? w : w.str(r.branch)).view()
    }
    case RecordType.Tenant: {
      const w = new ByteWriter().str(r.name).u8(r.start).str(r.from).u8(r.retention ? 1 : 0)
      return (r.retention ? w.str(JSON.stringify(r.retention)) : w).view()
    }
    case RecordType.DropTenant:
      return new ByteWriter().str(r.name).view()
    case RecordType.Group: {
      const w = new ByteWriter().u32(r.records.length)
      for (const sub of r.records) w.u8(sub.type).bytes(encodeRecord(sub))
      return w.view()
    }
  }
}

/**
 * Reads a record body written by encodeRecord (keys and values of a commit are views into
 * `body`). CorruptionError for a type it does not know. Cost: O(body bytes).
 */
export function decodeRecord(type: number, body: Uint8Array): LogRecord {
  const r = new ByteReader(body)
  switch (type) {
    case RecordType.Commit: {
      const stamp = readStamp(r)
      return { type, stamp, ops: readOps(r) }
    }
    case RecordType.Snapshot: {
      const id = r.str()
      const generation = r.f64()
      const createdAt = r.f64()
      const kind = r.str() as SnapshotBody['kind']
      const branch = r.str()
      const snap: SnapshotBody = { id, generation, createdAt, kind, branch }
      if (r.u8()) snap.label = r.str()
      return { type, snap }
    }
    case RecordType.DropSnapshot:
      return { type, id: r.str() }
    case RecordType.Restore: {
      const stamp = readStamp(r)
      return { type, stamp, id: r.str() }
    }
    case RecordType.Move: {
      const branch = r.str()
      return { type, branch, id: r.str() }
    }
    case RecordType.Branch: {
      const name = r.str()
      return { type, name, from: r.str() }
    }
    case RecordType.DropBranch:
      return { type, name: r.str() }
    case RecordType.Retention: {
      const policy = retentionPolicy(JSON.parse(r.str()) as Retention)
      return r.done ? { type, policy } : { type, policy, branch: r.str() }
    }
    case RecordType.Tenant: {
      const name = r.str()
      const start = r.u8() as TenantStart
      const from = r.str()
      return r.u8() ? { type, name, start, from, retention: retentionPolicy(JSON.parse(r.str()) as Retention) } : { type, name, start, from }
    }
    case RecordType.DropTenant:
      return { type, name: r.str() }
    case RecordType.Group: {
      const n = r.u32()
      const records: LogRecord[] = []
      for (let i = 0; i < n; i++) {
        const t = r.u8()
        records.push(decodeRecord(t, r.bytes()))
      }
      return { type, records }
    }
    default:
      throw new CorruptionError(`cowdb: unknown WAL record type ${type}`)
  }
}

/** What a record logged on its own changed in the catalog (the `catalog` event). */
export function catalogChange(r: LogRecord): CatalogChange {
  switch (r.type) {
    case RecordType.Snapshot:
      return { change: 'snapshot', branch: r.snap.branch, id: r.snap.id }
    case RecordType.DropSnapshot:
      return { change: 'dropSnapshot', id: r.id }
    case RecordType.Restore:
      return { change: 'restore', branch: r.stamp.branch, id: r.id }
    case RecordType.Move:
      return { change: 'move', branch: r.branch, id: r.id }
    case RecordType.Branch:
      return { change: 'branch', branch: r.name }
    case RecordType.DropBranch:
      return { change: 'dropBranch', branch: r.name }
    case RecordType.Tenant:
      return { change: 'tenant', branch: r.name }
    case RecordType.DropTenant:
      return { change: 'dropTenant', branch: r.name }
    case RecordType.Retention:
      return r.branch === undefined ? { change: 'retention' } : { change: 'retention', branch: r.branch }
    default:
      return { change: 'retention' }
  }
}

/** Writes a commit's stamp: its head, and the history ids it pushes. */
function writeStamp(w: ByteWriter, s: Stamp): ByteWriter {
  w.str(s.branch).u8(s.history.length)
  for (const id of s.history) w.str(id)
  return w
}

function readStamp(r: ByteReader): Stamp {
  const branch = r.str()
  const n = r.u8()
  const history: string[] = []
  for (let i = 0; i < n; i++) history.push(r.str())
  return { branch, history }
}
