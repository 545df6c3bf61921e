// A format-1 store found by the browser (issue 13): each fixture store of
// packages/node/test/fixtures/v1 is written into OPFS and the IndexedDB snapshot table as an
// earlier cowdb left it (demo/test/migrate.ts), then openDB() migrates it in the worker; every
// head, snapshot (named and history) and branch must read back as EXPECTED.json says, in
// IndexedDB order, before and after a reopen, with verify() clean and the Meta at version 2.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { E, dir, expectedSnapshotRows, want } from '../packages/node/test/fixtures/expected.ts'
import { expect, test } from './fixtures'

/** The newest of the two Meta copies (meta-a, meta-b: magic, seq f64, length, checksum, JSON). */
function metaOf(store: string): unknown {
  const copies = ['meta-a', 'meta-b'].map((f) => {
    const b = readFileSync(join(dir, store, f))
    return { seq: b.readDoubleBE(4), meta: JSON.parse(b.subarray(20, 20 + b.readUInt32BE(12)).toString('utf8')) }
  })
  return copies.reduce((a, b) => (b.seq > a.seq ? b : a)).meta
}

for (const [name, store] of Object.entries(E.stores)) {
  test(`v1 store ${name} migrates when openDB opens it, and reads back as EXPECTED.json says`, async ({ page }) => {
    await page.goto('/test/migrate.html')
    await expect(page.locator('body')).toHaveText('ready')
    const files = { pages: readFileSync(join(dir, store.dir, 'pages')).toString('base64'), wal: readFileSync(join(dir, store.dir, 'wal')).toString('base64') }
    const meta = metaOf(store.dir) as { version: number }
    expect(meta.version).toBe(1)
    await page.evaluate(([n, f, m]) => (window as any).migrateTests.load(n, f, m), [name, files, meta] as const)
    expect(await page.evaluate((n) => (window as any).migrateTests.version(n), name)).toBe(1)
    for (let round = 0; round < 2; round++) {
      const got = await page.evaluate((n) => (window as any).migrateTests.read(n), name)
      expect(got.version, 'migrated: the snapshot table holds a format-2 Meta').toBe(2)
      expect(got.verify).toEqual([])
      expect(got.retention).toEqual(store.retention)
      expect(got.branches).toEqual(store.branches)
      expect(got.snapshots).toEqual(expectedSnapshotRows(store))
      for (const [branch, entries] of Object.entries(store.heads)) expect(got.heads[branch], `${name} head ${branch}, round ${round}`).toEqual(want(entries))
      for (const s of store.snapshots) expect(got.snaps[s.id], `${name} snapshot ${s.label ?? s.kind} ${s.id}, round ${round}`).toEqual(want(s.entries))
    }
  })
}
