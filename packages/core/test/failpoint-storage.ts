// Storage in memory whose I/O calls hit the named failpoints of failpoints.ts (pageRead,
// pageWrite, walFlush, metaSave, ...). Everything written is kept, as a disk keeps what reached
// it: a WAL flush that fails after its write leaves the records in the file, so a recovery that
// replays them would bring a rejected write back (the case the writer must cut back).
import type { Failpoints, FailpointName } from '../src/failpoints.js'
import { MemoryStorage } from '../src/memory-store.js'
import type { BlockFile, Meta, Storage } from '../src/store.js'

type FileHits = Partial<Record<'read' | 'write' | 'flush' | 'truncate', FailpointName>>

function hitting(file: BlockFile, fp: Failpoints, hits: FileHits): BlockFile {
  return {
    read: (offset, into) => {
      if (hits.read) fp.hit(hits.read)
      return file.read(offset, into)
    },
    write: (offset, data) => {
      if (hits.write) fp.hit(hits.write)
      file.write(offset, data)
    },
    flush: () => {
      if (hits.flush) fp.hit(hits.flush)
      file.flush()
    },
    truncate: (size) => {
      if (hits.truncate) fp.hit(hits.truncate)
      file.truncate(size)
    },
    size: () => file.size(),
    close: () => file.close(),
  }
}

/** `inner` seen through the failpoints; reopen with `failpointStorage(fp, inner.reopen())`. */
export function failpointStorage(fp: Failpoints, inner = new MemoryStorage()): Storage & { inner: MemoryStorage } {
  return {
    inner,
    pages: hitting(inner.pages, fp, { read: 'pageRead', write: 'pageWrite', flush: 'pagesFlush' }),
    wal: hitting(inner.wal, fp, { write: 'walWrite', flush: 'walFlush', truncate: 'walTruncate' }),
    meta: {
      load: () => inner.meta.load(),
      // as IndexedDB's, a save completes a task later: a crash can come between a call's answer and it
      save: async (meta: Meta) => {
        fp.hit('metaSave')
        await new Promise((r) => setTimeout(r, 0))
        return inner.meta.save(meta)
      },
      close: () => inner.meta.close(),
    },
  }
}

/** A copy of what `inner` holds now: the state a crash at this moment leaves behind. */
export function crashCopy(inner: MemoryStorage): MemoryStorage {
  const copy = new MemoryStorage()
  copy.pages.write(0, inner.pages.bytes().slice())
  copy.wal.write(0, inner.wal.bytes().slice())
  copy.meta.meta = inner.meta.meta && structuredClone(inner.meta.meta)
  return copy
}
