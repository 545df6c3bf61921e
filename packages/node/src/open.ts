// open(dir): a cowdb database on plain files: `pages`, `wal`, `meta-a`/`meta-b`, `LOCK`.

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Database, type DatabaseOptions, type Storage } from '@cowdb/core'
import { FileBlockFile } from './file-store.js'
import { lockDir } from './lock.js'
import { FileMetaStore } from './meta-file.js'

/**
 * Opens (or creates) the database in directory `dir` and runs recovery. A second open of the
 * same directory, in this process or another, rejects with LockedError until this one closes.
 * Cost: recovery replays the WAL since the last checkpoint (O(WAL bytes)); a clean store opens
 * with a few small reads.
 */
export async function open(dir: string, opts: DatabaseOptions = {}): Promise<Database> {
  if (typeof dir !== 'string' || !dir) throw new TypeError('cowdb: open() needs a directory path')
  mkdirSync(dir, { recursive: true })
  const release = lockDir(dir)
  const files: FileBlockFile[] = []
  try {
    const pages = new FileBlockFile(join(dir, 'pages'))
    files.push(pages)
    const wal = new FileBlockFile(join(dir, 'wal'))
    files.push(wal)
    const storage: Storage = { pages, wal, meta: new FileMetaStore(dir), release }
    return await Database.open(storage, opts)
  } catch (e) {
    for (const f of files) f.close()
    release()
    throw e
  }
}
