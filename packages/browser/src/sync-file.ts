// The file a call record (call-log.ts) is written to: an OPFS sync access handle's shape, and the
// same over any BlockFile (the IndexedDB page store's files).

import type { BlockFile } from '@cowdb/core'

/** The part of a FileSystemSyncAccessHandle the record uses. */
export interface SyncFile {
  read(buffer: Uint8Array, options: { at: number }): number
  write(buffer: Uint8Array, options: { at: number }): number
  truncate(size: number): void
  getSize(): number
  close(): void
}

/**
 * A BlockFile seen as a SyncFile, each write and truncate flushed at once: for the IndexedDB page
 * store's files, where a flush stages the bytes in the store's ordered write-behind queue.
 * Cost: as the file's write plus its flush.
 */
export function blockSyncFile(file: BlockFile): SyncFile {
  return {
    read: (buffer, { at }) => file.read(at, buffer),
    write: (buffer, { at }) => {
      file.write(at, buffer)
      file.flush()
      return buffer.length
    },
    truncate: (size) => {
      file.truncate(size)
      file.flush()
    },
    getSize: () => file.size(),
    close: () => file.close(),
  }
}
