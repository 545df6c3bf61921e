// Every later version must open the format-version-1 fixtures (fixtures/v1, made by
// fixtures/make-v1-fixtures.ts) and read back exactly what EXPECTED.json says: every head,
// snapshot (named and history) and branch, after replaying a WAL v1 wrote, and every backup v1
// exported. Entries come back in IndexedDB key order (checked against an independent oracle).
//
// Opening a v1 store migrates it to format 2 (migrate.ts, docs/format.md): v1 stored astral
// characters as 4-byte UTF-8, in code point order. These suites passed against v1 itself with
// v1's order in place of IndexedDB's, which checks the fixtures and this reader.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Database, MemoryStorage, decodeKey, decodeValue, readBackup } from '@cowdb/core'
import { FileMetaStore } from '../src/meta-file.js'
import { main } from '../src/dbctl.js'
import { open } from '../src/open.js'
import { E, branchRows, dir, expectedSnapshotRows, got, keyOf, overLimit, snapshotRows, valueFor, want } from './fixtures/expected.js'
import { taggedJson } from './fixtures/tagged.js'

const temps: string[] = []
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true })
})

/** A copy of fixture store `name` (opening writes to a store; the fixture must stay as v1 left it). */
function copyOf(name: string): string {
  const tmp = mkdtempSync(join(tmpdir(), 'cowdb-v1-test-'))
  temps.push(tmp)
  cpSync(join(dir, name), tmp, { recursive: true })
  return tmp
}

describe.each(Object.entries(E.stores))('v1 store %s', (name, store) => {
  it('opens, verifies, and reads every head, snapshot and branch as v1 wrote them, before and after a reopen', async () => {
    const path = copyOf(store.dir)
    expect((await new FileMetaStore(path).load())!.version).toBe(1)
    for (let round = 0; round < 2; round++) {
      const db = await open(path)
      expect((await new FileMetaStore(path).load())!.version, 'migrated on the first open').toBe(2)
      const report = await db.verify()
      expect(report.errors).toEqual([])
      // the old pages were freed by the switch itself: nothing leaked, nothing reachable is free
      const space = await db.space()
      expect({ leaked: space.leaked, reachableButFree: space.reachableButFree, pending: space.pending }).toEqual({ leaked: 0, reachableButFree: 0, pending: 0 })
      expect(space.reachable + space.free).toBe(space.slots)
      expect((await db.stats()).pageSize).toBe(store.pageSize)
      expect(await db.getRetention()).toEqual(store.retention)
      expect(await branchRows(db)).toEqual(store.branches)
      expect(await snapshotRows(db)).toEqual(expectedSnapshotRows(store))
      for (const [branch, entries] of Object.entries(store.heads)) {
        expect(await got(db, { branch }), `${name} head ${branch}`).toEqual(want(entries))
        // point reads find every key (the over-limit key is only reachable by scan: see EXPECTED.json)
        const pairs = entries.filter(([k]) => JSON.stringify(E.keys[k]) !== overLimit)
        const values = await db.getMany(pairs.map(([k]) => keyOf(k)), { branch })
        expect(values.map((v) => taggedJson(v)), `${name} getMany on ${branch}`).toEqual(pairs.map(([k, v]) => valueFor(k, v)))
      }
      for (const s of store.snapshots) expect(await got(db, { snapshot: s.id }), `${name} snapshot ${s.label ?? s.kind} ${s.id}`).toEqual(want(s.entries))
      await db.close()
    }
  })

  it('exports a version-2 backup that a new store imports into the same state (keys re-encoding took over the limit too)', async () => {
    const db = await open(copyOf(store.dir))
    const bytes = await db.exportBackup()
    await db.close()
    expect(readBackup(bytes).version).toBe(2)
    const other = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    await other.importBackup(bytes)
    expect(await got(other, {})).toEqual(want(store.heads.main!))
    await other.close()
  })

  it('keeps history: redo on main brings back the next history entry', async () => {
    const main = store.branches.find((b) => b.name === 'main')!
    const history = store.snapshots.filter((s) => s.kind === 'history' && s.branch === 'main')
    expect(main.redoable).toBeGreaterThan(0)
    const db = await open(copyOf(store.dir))
    expect(await db.redo()).not.toBeNull()
    expect(await got(db, { branch: 'main' })).toEqual(want(history[main.history - main.redoable]!.entries))
    await db.close()
  })
})

describe.each(Object.entries(E.backups))('v1 backup %s', (_, backup) => {
  const bytes = () => new Uint8Array(readFileSync(join(dir, backup.file)))

  it('reads its header and records (v1 key encodings decode)', () => {
    const { header, records } = readBackup(bytes())
    expect(header).toEqual(backup.header)
    // records come in this format: v1's keys re-encoded, its values transcoded (docs/format.md)
    const recs = [...records()].map((r) => ({ type: r.type, key: taggedJson(decodeKey(r.key)), ...(r.type === 'put' ? { value: taggedJson(decodeValue(r.value)) } : {}) }))
    expect(recs).toEqual(backup.records.map((r) => ({ type: r.type, key: JSON.stringify(E.keys[r.key]), ...(r.value !== undefined ? { value: valueFor(r.key, r.value) } : {}) })))
  })

  it('imports (after its base) into the state v1 exported, in IndexedDB order', async () => {
    const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    for (const f of [...backup.importAfter, backup.file]) await db.importBackup(new Uint8Array(readFileSync(join(dir, f))))
    expect(await got(db, {})).toEqual(want(backup.stateAfterImport))
    await db.close()
  })
})

describe('dbctl on format-1 files', () => {
  const dbctl = async (...argv: string[]) => {
    const out: string[] = []
    const err: string[] = []
    const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) })
    return { code, out, err }
  }

  it('reads a v1 backup file as a read-only store, its keys in IndexedDB order', async () => {
    const scanned = await dbctl('scan', '--db', join(dir, 'backup-full.cowdb'))
    expect(scanned.err).toEqual([])
    const wanted = want(E.backups.full!.stateAfterImport)
    expect(scanned.out).toHaveLength(wanted.length)
    // dbctl prints JSON (not tagged): the keys that JSON shows exactly come in the expected order
    const plain = (t: string) => { const k = JSON.parse(t); return typeof k === 'string' ? k : undefined }
    const strings = scanned.out.map((l) => (JSON.parse(l) as { key: unknown }).key).filter((k): k is string => typeof k === 'string')
    expect(strings).toEqual(wanted.map(([k]) => plain(k!)).filter((k): k is string => k !== undefined))
  })

  it('migrates a v1 store it opens', async () => {
    const path = copyOf('wal')
    // an entry of the head whose key and value JSON shows exactly
    const [k, v] = E.stores.wal!.heads.main!.map(([k, v]) => [E.keys[k], E.values[v]]).find(([k, v]) => typeof k === 'string' && typeof v === 'string')!
    expect(await dbctl('get', '--db', path, '--key', k as string)).toMatchObject({ code: 0, out: [JSON.stringify(v)] })
    expect((await new FileMetaStore(path).load())!.version).toBe(2)
  })
})
