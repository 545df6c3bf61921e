import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { main } from './dbctl.js'

async function dbctl(...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) })
  return { code, out, err }
}

describe('dbctl', () => {
  it('get --snapshot prints the value as of the snapshot after overwrite and delete at head', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cowdb-dbctl-'))
    try {
      expect((await dbctl('put', '--db', dir, '--key', 'user:1', '--value', '{"name":"Ada"}')).code).toBe(0)
      const snap = await dbctl('snapshot', '--db', dir, '--label', 'before')
      const id = JSON.parse(snap.out[0]!).id as string
      await dbctl('put', '--db', dir, '--key', 'user:1', '--value', '{"name":"Grace"}')
      await dbctl('delete', '--db', dir, '--key', 'user:1')
      const atSnap = await dbctl('get', '--db', dir, '--key', 'user:1', '--snapshot', id)
      expect(atSnap).toMatchObject({ code: 0, out: ['{"name":"Ada"}'] })
      const atHead = await dbctl('get', '--db', dir, '--key', 'user:1')
      expect(atHead.code).toBe(1)
      expect(atHead.err).toEqual(['dbctl: not found'])
      const list = await dbctl('snapshots', '--db', dir)
      expect(JSON.parse(list.out[0]!)).toMatchObject({ id, label: 'before' })
      const diff = await dbctl('diff', '--db', dir, '--from', id)
      expect(diff.out.map((l) => JSON.parse(l))).toEqual([{ key: 'user:1', before: { name: 'Ada' } }])
      const bad = await dbctl('get', '--db', dir, '--key', 'x', '--snapshot', 'nope')
      expect(bad.code).toBe(1)
      expect(bad.err[0]).toMatch(/^dbctl: SnapshotNotFoundError: /)
      expect((await dbctl('verify', '--db', dir)).code).toBe(0)
      expect((await dbctl('bogus', '--db', dir)).code).toBe(2)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('runs as a real command: scan with --prefix prints JSON lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cowdb-dbctl-'))
    try {
      for (const k of ['a:1', 'a:2', 'b:1']) await dbctl('put', '--db', dir, '--key', k, '--value', '1')
      const entry = fileURLToPath(new URL('./cli.ts', import.meta.url))
      const r = spawnSync(process.execPath, ['--import', 'tsx', entry, 'scan', '--db', dir, '--prefix', 'a:'], { encoding: 'utf8' })
      expect(r.stderr).toBe('')
      expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).key)).toEqual(['a:1', 'a:2'])
      expect(r.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('export and import: a full backup, then an incremental one, move a store; a backup file reads as --db', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cowdb-dbctl-'))
    const [a, b, full, inc] = ['a', 'b', 'full.cowdb', 'inc.cowdb'].map((f) => join(root, f)) as [string, string, string, string]
    try {
      for (let i = 0; i < 5; i++) await dbctl('put', '--db', a, '--key', `k${i}`, '--value', String(i))
      const exported = await dbctl('export', '--db', a, '--out', full)
      expect(exported.code).toBe(0)
      const head = JSON.parse(exported.out[0]!) as { snapshot: string; entries: number; version: number }
      expect(head.version).toBe(2) // the backup format written (format 1 backups are still read)
      expect(head.entries).toBe(5)
      expect(exported.err.at(-1)).toBe('export: 5/5 entries')
      await dbctl('put', '--db', a, '--key', 'k1', '--value', '"changed"')
      await dbctl('delete', '--db', a, '--key', 'k2')
      const incremental = await dbctl('export', '--db', a, '--since', head.snapshot, '--out', inc)
      expect(JSON.parse(incremental.out[0]!)).toMatchObject({ since: head.snapshot, entries: 2 })

      expect((await dbctl('import', '--db', b, '--in', inc)).err.at(-1)).toMatch(/SnapshotNotFoundError: .*import the backups in order/)
      expect((await dbctl('import', '--db', b, '--in', full)).code).toBe(0)
      expect((await dbctl('import', '--db', b, '--in', inc)).code).toBe(0)
      const scanned = await dbctl('scan', '--db', b)
      expect(scanned.out.map((l) => JSON.parse(l))).toEqual([
        { key: 'k0', value: 0 }, { key: 'k1', value: 'changed' }, { key: 'k3', value: 3 }, { key: 'k4', value: 4 },
      ])

      // the backup file itself, read only; its snapshot id reads its state
      expect(await dbctl('get', '--db', full, '--key', 'k1', '--snapshot', head.snapshot)).toMatchObject({ code: 0, out: ['1'] })
      expect((await dbctl('scan', '--db', full)).out).toHaveLength(5)
      const write = await dbctl('put', '--db', full, '--key', 'x', '--value', '1')
      expect(write.code).toBe(2)
      expect(write.err[0]).toMatch(/read only/)
      expect((await dbctl('get', '--db', inc, '--key', 'k1')).err[0]).toMatch(/incremental backup/)
      const damaged = readFileSync(full)
      damaged[damaged.length >> 1]! ^= 1
      writeFileSync(full, damaged)
      expect((await dbctl('scan', '--db', full)).err[0]).toMatch(/^dbctl: CorruptionError: .*checksum/)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
  it('--tenant: works on one tenant, sees only its own snapshots; tenants, tenant-create (a clone), tenant-drop, retention, a backup moved as a tenant', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cowdb-dbctl-'))
    const [a, b, file] = ['a', 'b', 'acme.cowdb'].map((f) => join(root, f)) as [string, string, string]
    const json = (r: { out: string[] }) => r.out.map((l) => JSON.parse(l))
    try {
      expect((await dbctl('tenant-create', '--db', a, '--tenant', 'acme', '--keep-last', '3')).code).toBe(0)
      await dbctl('put', '--db', a, '--tenant', 'acme', '--key', 'k', '--value', '"acme v1"')
      await dbctl('put', '--db', a, '--key', 'k', '--value', '"main"')
      const snap = json(await dbctl('snapshot', '--db', a, '--tenant', 'acme', '--label', 'v1'))[0].id as string
      await dbctl('put', '--db', a, '--tenant', 'acme', '--key', 'k', '--value', '"acme v2"')
      expect((await dbctl('get', '--db', a, '--tenant', 'acme', '--key', 'k')).out).toEqual(['"acme v2"'])
      expect((await dbctl('get', '--db', a, '--key', 'k')).out).toEqual(['"main"'])
      expect(json(await dbctl('snapshots', '--db', a, '--tenant', 'acme')).filter((s) => s.kind === 'named').map((s) => s.id)).toEqual([snap])
      expect(json(await dbctl('snapshots', '--db', a))).toEqual([]) // main's listing leaves tenants out
      const refused = await dbctl('get', '--db', a, '--key', 'k', '--snapshot', snap) // not through its tenant
      expect(refused.err[0]).toMatch(/^dbctl: SnapshotNotFoundError: /)
      expect((await dbctl('tenant-create', '--db', a, '--tenant', 'beta', '--from', 'acme', '--snapshot', snap)).code).toBe(0)
      expect((await dbctl('get', '--db', a, '--tenant', 'beta', '--key', 'k')).out).toEqual(['"acme v1"'])
      expect(json(await dbctl('retention', '--db', a, '--tenant', 'acme'))).toEqual([{ keepLast: 3, keepFor: 0, keepNamed: true }])
      expect(json(await dbctl('retention', '--db', a, '--tenant', 'beta', '--keep-last', '7'))).toEqual([{ keepLast: 7, keepFor: 0, keepNamed: true }])
      expect(json(await dbctl('retention', '--db', a))).toEqual([{ keepLast: 0, keepFor: 0, keepNamed: true }])
      const listed = json(await dbctl('tenants', '--db', a, '--space'))
      expect(listed.map((t) => [t.name, t.ownRetention, t.bytes > 0])).toEqual([['acme', true, true], ['beta', true, false]]) // the clone shares every page with acme's snapshot
      expect((await dbctl('export', '--db', a, '--tenant', 'acme', '--out', file)).code).toBe(0)
      expect((await dbctl('import', '--db', b, '--tenant', 'copy', '--in', file)).code).toBe(0) // created by the import
      expect((await dbctl('get', '--db', b, '--tenant', 'copy', '--key', 'k')).out).toEqual(['"acme v2"'])
      expect(json(await dbctl('tenants', '--db', b)).map((t) => t.name)).toEqual(['copy'])
      expect((await dbctl('tenant-drop', '--db', a, '--tenant', 'acme')).code).toBe(0)
      expect(json(await dbctl('tenants', '--db', a)).map((t) => t.name)).toEqual(['beta'])
      expect((await dbctl('get', '--db', a, '--tenant', 'beta', '--key', 'k')).out).toEqual(['"acme v1"'])
      expect((await dbctl('tenant-drop', '--db', a, '--tenant', 'acme')).err[0]).toMatch(/^dbctl: SnapshotNotFoundError: .*no tenant/)
      expect((await dbctl('verify', '--db', a)).code).toBe(0)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
