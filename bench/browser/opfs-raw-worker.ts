// The storage limit: a bare OPFS file on a sync access handle, no engine. Bulk load and churn are
// sequential writes of the same byte volume as the data (key + value bytes) then one flush; a
// commit is one 4 KiB write + flush; a read is one random 4 KiB block; a scan reads the volume of
// 10,000 entries sequentially; a copy reads the whole file and writes it to a second one.
import { hostEngine, type Engine } from './engine.ts'

const BLOCK = 4096
const CHUNK = 1 << 16

async function rawDir() {
  return (await navigator.storage.getDirectory()).getDirectoryHandle('bench-raw', { create: true })
}

async function openFile(name: string) {
  const fh = await (await rawDir()).getFileHandle(name, { create: true })
  return fh.createSyncAccessHandle()
}

/** A stable block number for a key (its first 32 bits of hex), so a get reads a fixed place. */
const blockOf = (key: string, blocks: number) => parseInt(key.slice(1, 9), 16) % Math.max(1, blocks)

function opfsRawEngine(): Engine {
  let file: FileSystemSyncAccessHandle
  let name: string
  let copy: FileSystemSyncAccessHandle | undefined
  let logical = 0 // key + value bytes of the first load
  const copyName = () => `${name}.copy`
  const readBlock = (key: string) => {
    const buf = new Uint8Array(BLOCK)
    file.read(buf, { at: blockOf(key, Math.floor(file.getSize() / BLOCK)) * BLOCK })
    return buf
  }
  return {
    version: 'OPFS sync access handle (no engine)',
    async open(n) {
      name = n
      logical = 0
      file = await openFile(n)
      file.truncate(0)
    },
    async load(keys, value) {
      const volume = keys.reduce((s, k) => s + k.length, 0) + keys.length * value.length
      logical ||= volume
      const chunk = new Uint8Array(CHUNK).fill(7)
      let at = file.getSize()
      for (let left = volume; left > 0; left -= CHUNK) at += file.write(chunk.subarray(0, Math.min(CHUNK, left)), { at })
      file.flush()
    },
    commit(key) {
      // in place, like a page update: the file does not grow
      file.write(new Uint8Array(BLOCK), { at: blockOf(key, Math.floor(file.getSize() / BLOCK)) * BLOCK })
      file.flush()
    },
    get: readBlock,
    getMany: (keys) => keys.map(readBlock),
    scan(from, limit) {
      const buf = new Uint8Array(CHUNK)
      const volume = limit * (from.length + 100)
      let at = Math.min(blockOf(from, Math.floor(file.getSize() / BLOCK)) * BLOCK, Math.max(0, file.getSize() - volume))
      for (let left = volume; left > 0; left -= CHUNK) at += file.read(buf.subarray(0, Math.min(CHUNK, left)), { at })
      return limit
    },
    async copy(probe) {
      copy = await openFile(copyName())
      const buf = new Uint8Array(1 << 20)
      const size = file.getSize()
      for (let at = 0; at < size; ) {
        const got = file.read(buf, { at })
        copy.write(buf.subarray(0, got), { at })
        at += got
      }
      copy.flush()
      if (copy.read(new Uint8Array(BLOCK), { at: blockOf(probe, Math.floor(size / BLOCK)) * BLOCK }) === 0) throw new Error('copy unreadable')
    },
    async dropCopy() {
      copy?.close()
      copy = undefined
      await (await rawDir()).removeEntry(copyName())
    },
    // the floor: the data's own bytes (a churn here only appends, which says nothing)
    bytes: async () => logical,
    async drop() {
      file.close()
      await (await rawDir()).removeEntry(name)
    },
  }
}

hostEngine(opfsRawEngine)
