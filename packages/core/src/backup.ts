// The backup format: a snapshot's entries (full backup) or the changes to it since an older
// snapshot (incremental), as one self-checking byte string that cowdb in a browser or in Node
// can import, and dbctl can read. Entries, not pages: a backup does not depend on page size or
// slot numbers, and an incremental one is found by diffing the two snapshots' trees, so it
// costs what changed. Keys and values travel in their stored encodings (no re-encoding).
// The version is the store format's (docs/format.md): 2 is written; 1 (keys and values of
// format 1) is read, each record re-encoded and transcoded as the store migration does.
//
//   'COWDB-BACKUP' u8 version   bytes header (JSON, BackupHeader)
//   records: u8 type (1 put: bytes key, bytes value | 2 delete: bytes key) ... u8 0 (end)
//   u32 xxHash32 of everything before it

import { countRange, type StoredValue, type Tree } from './btree.js'
import type { Catalog } from './catalog.js'
import { branchOf } from './heads.js'
import { PROGRESS_EVERY } from './options.js'
import type { Progress, SnapshotInfo } from './types.js'
import { ByteReader, ByteWriter } from './bytes.js'
import { checksum32 } from './checksum.js'
import { diffTrees } from './diff.js'
import { CorruptionError, SnapshotNotFoundError } from './errors.js'
import { MAX_KEY_BYTES, encodeRange } from './keys.js'
import type { Ref } from './node.js'
import { MAX_MIGRATED_KEY_BYTES, transcodeValue, upgradeKey } from './legacy.js'
import type { EncodedOp } from './ops.js'
import { storedBytes } from './stored.js'

const MAGIC = new TextEncoder().encode('COWDB-BACKUP')
/** The version written (the store format's); every earlier one is read. */
const VERSION = 2
const PUT = 1
const DELETE = 2
const END = 0

export type BackupHeader = {
  /** The snapshot whose state the backup holds (after import, for an incremental one). */
  snapshot: string
  /** An incremental backup: the snapshot it starts from. */
  since?: string
  createdAt: number
  /** Records in the backup (puts and deletes). */
  entries: number
  label?: string
}

export type BackupRecord = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'delete'; key: Uint8Array }

/** Builds a backup record by record. */
export class BackupWriter {
  private readonly body = new ByteWriter(64 * 1024)
  entries = 0

  put(key: Uint8Array, value: Uint8Array): void {
    this.body.u8(PUT).bytes(key).bytes(value)
    this.entries++
  }

  delete(key: Uint8Array): void {
    this.body.u8(DELETE).bytes(key)
    this.entries++
  }

  /** The whole backup. Cost: one copy of the records. */
  finish(header: Omit<BackupHeader, 'entries'>): Uint8Array {
    this.body.u8(END)
    const records = this.body.view()
    const out = new ByteWriter(records.length + 512)
    for (const b of MAGIC) out.u8(b)
    out.u8(VERSION).str(JSON.stringify({ ...header, entries: this.entries }))
    const head = out.view().slice()
    const all = new Uint8Array(head.length + records.length + 4)
    all.set(head)
    all.set(records, head.length)
    new DataView(all.buffer).setUint32(all.length - 4, checksum32(all.subarray(0, all.length - 4)))
    return all
  }
}

/** Whether `bytes` start like a backup (to tell a backup file from a store directory's file). Cost: O(1): the magic bytes only. */
export function isBackup(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b)
}

/**
 * Checks a backup whole (magic, version, checksum) and returns its header, its version and its
 * records, in this format's encodings (a version-1 backup's keys re-encoded and values
 * transcoded as records are read; such a key may be over MAX_KEY_BYTES, as a migrated store's).
 * TypeError if it is not a backup; CorruptionError if it is damaged, truncated, of a later
 * version, or holds a key that version could not have written. Cost: O(bytes) for the checksum,
 * then O(record) per record read.
 */
export function readBackup(bytes: Uint8Array): { header: BackupHeader; version: number; records: () => Generator<BackupRecord> } {
  if (!(bytes instanceof Uint8Array) || !isBackup(bytes)) throw new TypeError('cowdb: not a cowdb backup (bad magic)')
  if (bytes.length < MAGIC.length + 1 + 4 + 4) throw new CorruptionError('cowdb: backup is truncated')
  const sum = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4)
  if (checksum32(bytes.subarray(0, bytes.length - 4)) !== sum) throw new CorruptionError('cowdb: backup checksum mismatch (damaged or truncated)')
  const r = new ByteReader(bytes.subarray(0, bytes.length - 4))
  r.at = MAGIC.length
  const version = r.u8()
  if (version < 1 || version > VERSION) throw new CorruptionError(`cowdb: backup version ${version} is not supported (this cowdb reads versions 1 to ${VERSION}; a later version of cowdb wrote it?)`)
  // a migrated store may hold (and so export) a key that re-encoding took over the limit
  const limit = version === 1 ? MAX_KEY_BYTES : MAX_MIGRATED_KEY_BYTES
  const key = (k: Uint8Array) => {
    if (k.length === 0 || k.length > limit) throw new CorruptionError(`cowdb: backup holds a key of ${k.length} bytes`)
    return version === 1 ? upgradeKey(k) : k
  }
  const value = version === 1 ? transcodeValue : (v: Uint8Array) => v
  const header = JSON.parse(r.str()) as BackupHeader
  if (typeof header.snapshot !== 'string' || typeof header.entries !== 'number') throw new CorruptionError('cowdb: backup header is malformed')
  const start = r.at
  function* records(): Generator<BackupRecord> {
    const rr = new ByteReader(bytes.subarray(0, bytes.length - 4))
    rr.at = start
    for (;;) {
      const type = rr.u8()
      if (type === END) return
      if (type === PUT) yield { type: 'put', key: key(rr.bytes()), value: value(rr.bytes()) }
      else if (type === DELETE) yield { type: 'delete', key: key(rr.bytes()) }
      else throw new CorruptionError(`cowdb: backup record type ${type} is unknown`)
    }
  }
  return { header, version, records }
}

/**
 * A backup of the entries that differ from root `from` to root `to` (all of `to` when `from` is
 * null). `pause(done, last)` runs every `every` entries and at the end: report progress, yield.
 * Both roots must stay pinned until it resolves. Cost: O(changed pages) reads plus the entries.
 */
export async function exportChanges(
  tree: Tree,
  from: Ref | null,
  to: Ref | null,
  sameValue: (a: StoredValue, b: StoredValue) => boolean,
  header: Omit<BackupHeader, 'entries'>,
  every: number,
  pause: (done: number, last: boolean) => Promise<void> | void,
): Promise<Uint8Array> {
  const out = new BackupWriter()
  for (const c of diffTrees(tree, from, to, sameValue)) {
    if (c.after === undefined) out.delete(c.key)
    else out.put(c.key, storedBytes(tree.pager, c.after))
    if (out.entries % every === 0) await pause(out.entries, false)
  }
  await pause(out.entries, true)
  return out.finish(header)
}

/**
 * The ops that load a backup onto a head (a full backup first clears it), checked: a bad key is
 * a CorruptionError (from readBackup's records) before anything changes. `progress(done)` runs
 * every `every` records. Cost: O(entries).
 */
export function importOps(header: BackupHeader, records: () => Generator<BackupRecord>, every: number, progress: (done: number) => void): EncodedOp[] {
  const ops: EncodedOp[] = header.since === undefined ? [{ type: 'deleteRange', range: encodeRange({}) }] : []
  for (const r of records()) {
    ops.push(r.type === 'put' ? { type: 'put', key: r.key, value: r.value } : { type: 'delete', key: r.key })
    if (ops.length % every === 0) progress(ops.length)
  }
  return ops
}

/**
 * What importing `bytes` does: its ops (a full backup first clears the head) and the label of
 * the snapshot that marks it ('backup:<id of the backup's snapshot>'). An incremental backup needs
 * its base imported before (`hasLabel`): SnapshotNotFoundError otherwise; a damaged one is a
 * CorruptionError. Nothing changes until the caller commits the ops. Cost: O(entries).
 */
export function importPlan(bytes: Uint8Array, hasLabel: (label: string) => boolean, onProgress?: (p: Progress) => void): { ops: EncodedOp[]; label: string; entries: number } {
  const { header, records } = readBackup(bytes)
  if (header.since !== undefined && !hasLabel(backupLabel(header.since))) {
    throw new SnapshotNotFoundError(`cowdb: this incremental backup starts from snapshot ${header.since}, which was not imported here (import the backups in order)`)
  }
  const ops = importOps(header, records, PROGRESS_EVERY, (done) => onProgress?.({ phase: 'import', done, total: header.entries }))
  return { ops, label: backupLabel(header.snapshot), entries: header.entries }
}

const backupLabel = (id: string) => `backup:${id}`

/** What an export reads: the catalog (to find and pin the states), the tree, how values compare. */
export type BackupSource = { catalog: Catalog; tree: Tree; sameValue: (a: StoredValue, b: StoredValue) => boolean; check: () => void }
export type ExportOptions = { snapshot?: string; since?: string; keepSnapshot?: boolean; onProgress?: (p: Progress) => void; branch?: string }

/**
 * Database.exportBackup: a backup of snapshot `opts.snapshot` or of the head of `opts.branch`;
 * with `since`, of the changes from that snapshot. Exporting the head leaves a snapshot behind
 * only with `keepSnapshot` (taken with `take`; dropped again with `drop` if the export fails).
 * Both states stay pinned while the walk yields to other work every PROGRESS_EVERY entries.
 * Cost: O(entries) full; O(changed pages) incremental.
 */
export async function exportBackupOf(
  src: BackupSource,
  opts: ExportOptions,
  take: { snapshot: (label: string, branch: string) => Promise<{ id: string }>; drop: (id: string) => Promise<void> },
): Promise<Uint8Array> {
  if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: exportBackup() takes { snapshot?, since?, keepSnapshot?, onProgress?, branch? }')
  const { catalog } = src
  const branch = branchOf(opts) // the snapshots it names must be ones this head may see
  const from = opts.since === undefined ? undefined : catalog.snapFor(opts.since, branch)
  if (opts.snapshot !== undefined) catalog.snapFor(opts.snapshot, branch)
  else catalog.headOf(branch)
  const taken = opts.snapshot === undefined && opts.keepSnapshot ? await take.snapshot('backup', branch) : undefined
  const id = opts.snapshot ?? taken?.id
  // the state exported: a snapshot, or the head as it is now (named by a fresh, unretained id)
  const to = id !== undefined ? catalog.snapFor(id) : { id: catalog.hlc.next(), label: undefined, createdAt: Date.now() }
  const a = catalog.pin(from ? { snapshot: from.id, branch } : 'empty')
  const b = catalog.pin({ snapshot: id, branch })
  try {
    const total = from ? 0 : countRange(src.tree, b.root, encodeRange(undefined))
    const header = { snapshot: to.id, ...(from ? { since: from.id } : {}), createdAt: to.createdAt, ...(to.label !== undefined ? { label: to.label } : {}) }
    return await exportChanges(src.tree, a.root, b.root, src.sameValue, header, PROGRESS_EVERY, async (done, last) => {
      opts.onProgress?.({ phase: 'export', done, total: total || done })
      if (last) return
      await new Promise<void>((resolve) => setTimeout(resolve, 0)) // let other work (worker messages, timers) in
      src.check()
    })
  } catch (e) {
    if (taken) await take.drop(taken.id).catch(() => {})
    throw e
  } finally {
    catalog.unpin(a.id)
    catalog.unpin(b.id)
  }
}

/**
 * Database.importBackup: the backup's ops onto the head of `opts.branch`, committed by `commit`
 * with the label of the snapshot that marks it, in one record (both take effect, or neither).
 * The `backup:<id>` base an incremental backup needs must be a snapshot that head may see.
 * Cost: O(entries) to read, then one commit of that many ops.
 */
export async function importBackupOf(
  catalog: Catalog,
  bytes: Uint8Array,
  opts: { onProgress?: (p: Progress) => void; branch?: string },
  commit: (ops: EncodedOp[], branch: string, label: string) => Promise<{ snapshot?: SnapshotInfo }>,
): Promise<SnapshotInfo> {
  const branch = branchOf(opts)
  const plan = importPlan(bytes, (label) => catalog.hasLabel(label, branch), opts.onProgress)
  const done = await commit(plan.ops, branch, plan.label)
  opts.onProgress?.({ phase: 'import', done: plan.entries, total: plan.entries })
  return done.snapshot!
}
