import { spawn } from 'node:child_process'
import { existsSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LockedError } from '@cowdb/core'
import { open } from './open.js'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cowdb-node-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('open()', () => {
  it('persists across close and reopen, snapshots included', async () => {
    const dir = tmp()
    const db = await open(dir)
    for (let i = 0; i < 1000; i++) await db.put(`k${i}`, { i })
    const s = await db.snapshot({ label: 'one' })
    await db.put('k1', 'changed')
    await db.close()
    const again = await open(dir)
    expect(await again.get('k1')).toBe('changed')
    expect(await again.get('k1', { snapshot: s.id })).toEqual({ i: 1 })
    expect(await again.count()).toBe(1000)
    expect((await again.verify()).ok).toBe(true)
    await again.close()
  })

  it('a second open gets LockedError, and the lock is released on close', async () => {
    const dir = tmp()
    const db = await open(dir)
    await expect(open(dir)).rejects.toBeInstanceOf(LockedError)
    await db.close()
    expect(existsSync(join(dir, 'LOCK'))).toBe(false)
    const again = await open(dir)
    await again.close()
  })

  it('another process holding the store gives LockedError naming its pid; a dead holder is taken over', async () => {
    const dir = tmp()
    const child = spawn(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(join(dir, 'LOCK'))}, process.pid + '\\n'); setInterval(() => {}, 1000)`])
    // wait for the child's lock file (however loaded the machine), not a fixed time
    while (!existsSync(join(dir, 'LOCK')) || !readFileSync(join(dir, 'LOCK'), 'utf8').endsWith('\n')) await new Promise((r) => setTimeout(r, 20))
    await expect(open(dir)).rejects.toThrow(new RegExp(`locked by pid ${child.pid}`))
    child.kill('SIGKILL')
    await new Promise((r) => child.on('exit', r))
    const db = await open(dir)
    await db.put('a', 1)
    await db.close()
  })

  it('releases the lock when opening fails', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'meta-a'), 'garbage that is not a meta copy')
    await expect(open(dir)).rejects.toThrow(/damaged/)
    expect(existsSync(join(dir, 'LOCK'))).toBe(false)
  })
})
