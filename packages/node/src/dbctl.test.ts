import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
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
      const entry = fileURLToPath(new URL('./dbctl.ts', import.meta.url))
      const r = spawnSync(process.execPath, ['--import', 'tsx', entry, 'scan', '--db', dir, '--prefix', 'a:'], { encoding: 'utf8' })
      expect(r.stderr).toBe('')
      expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).key)).toEqual(['a:1', 'a:2'])
      expect(r.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
