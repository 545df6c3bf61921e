// Storage for one database in the browser: OPFS files `cowdb/<name>/pages` and `wal` on sync
// access handles, and the snapshot table in IndexedDB. Worker only.

import type { Storage } from '@cowdb/core'
import { IdbMetaStore } from './idb-meta.js'
import { OpfsBlockFile } from './opfs-file.js'

/** Opens the files and the snapshot table of database `name`. Cost: a few async handle opens. */
export async function openOpfsStorage(name: string): Promise<Storage> {
  const root = await navigator.storage.getDirectory()
  const cowdb = await root.getDirectoryHandle('cowdb', { create: true })
  const dir = await cowdb.getDirectoryHandle(name, { create: true })
  const open = async (file: string) => {
    const fh = await dir.getFileHandle(file, { create: true })
    return new OpfsBlockFile(await fh.createSyncAccessHandle(), `${name}/${file}`)
  }
  const pages = await open('pages')
  let wal: OpfsBlockFile
  try {
    wal = await open('wal')
  } catch (e) {
    pages.close()
    throw e
  }
  let meta: IdbMetaStore
  try {
    meta = await IdbMetaStore.open(name)
  } catch (e) {
    pages.close()
    wal.close()
    throw e
  }
  return { pages, wal, meta }
}
