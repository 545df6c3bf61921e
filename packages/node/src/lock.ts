// One process at a time per store: an exclusive-create lock file holding the owner's pid.
// Node has no flock; a lock whose pid is no longer alive is stale and taken over.

import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { LockedError } from '@cowdb/core'

const held = new Set<string>()

/** Takes the lock of `dir` or throws LockedError naming the holder. Returns the release function. */
export function lockDir(dir: string): () => void {
  const path = join(dir, 'LOCK')
  if (held.has(path)) throw new LockedError(`cowdb: ${dir} is already open in this process`)
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new LockedError(`cowdb: ${dir} is locked by pid ${holder(path)}`)
        throw e
      }
      const pid = holder(path)
      if (pid !== undefined && alive(pid)) throw new LockedError(`cowdb: ${dir} is locked by pid ${pid}`)
      rmSync(path, { force: true }) // stale: its process is gone
    }
  }
  held.add(path)
  const release = () => {
    if (!held.delete(path)) return
    rmSync(path, { force: true })
    process.off('exit', release)
  }
  process.on('exit', release)
  return release
}

function holder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
    return Number.isFinite(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
