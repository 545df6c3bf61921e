import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Meta } from '@cowdb/core'
import { FileMetaStore } from './meta-file.js'

const meta = (generation: number): Meta => ({
  version: 1, pageSize: 4096, generation, nextPageId: 1, lsn: generation, slotCount: 0, free: [], heads: [], snapshots: [], hlc: '',
})

describe('FileMetaStore', () => {
  it('returns the newest save; a torn newest copy falls back to the previous one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cowdb-meta-'))
    try {
      const store = new FileMetaStore(dir)
      expect(await store.load()).toBeUndefined()
      await store.save(meta(1))
      await store.save(meta(2))
      expect((await new FileMetaStore(dir).load())!.generation).toBe(2)
      // tear the newest copy (meta-a holds seq 2) at every length: the older one wins
      const full = readFileSync(join(dir, 'meta-a'))
      for (const cut of [1, 10, 19, 20, full.length - 1]) {
        writeFileSync(join(dir, 'meta-a'), full.subarray(0, cut))
        expect((await new FileMetaStore(dir).load())!.generation).toBe(1)
      }
      // a flipped bit is caught too
      const flipped = Buffer.from(full)
      flipped[full.length - 3]! ^= 1
      writeFileSync(join(dir, 'meta-a'), flipped)
      expect((await new FileMetaStore(dir).load())!.generation).toBe(1)
      // both bad: CorruptionError, never a guess
      writeFileSync(join(dir, 'meta-b'), 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')
      await expect(new FileMetaStore(dir).load()).rejects.toThrow(/both meta copies/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
