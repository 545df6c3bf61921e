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
    return new OpfsBlockFile(await syncHandle(fh), `${name}/${file}`)
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

/**
 * The file's sync access handle. A tab that takes over from a closed one gets the Web Lock as the
 * old worker ends, but the browser may release that worker's handles a little later: while another
 * handle is open, it tries again, for up to 5 s. Cost: one handle open, or a few 20-250 ms waits.
 */
async function syncHandle(fh: FileSystemFileHandle): Promise<FileSystemSyncAccessHandle> {
  for (let wait = 20, waited = 0; ; waited += wait, wait = Math.min(250, wait * 2)) {
    try {
      return await fh.createSyncAccessHandle()
    } catch (e) {
      if (!(e instanceof DOMException && e.name === 'NoModificationAllowedError') || waited >= 5000) throw e
    }
    await new Promise((r) => setTimeout(r, wait))
  }
}
