// IdbBlockFile against a plain byte array (the model: a file reads zeros wherever nothing was
// written since it last grew): random writes, truncates and flushes.
// After every flush, the chunks staged so far, loaded into a new IdbBlockFile as an open would,
// must read back as the model's bytes at that flush.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { IdbBlockFile } from './idb-file.js'

type Cmd = { write: [number, number[]] } | { truncate: number } | { flush: true }

const cmd = fc.oneof(
  fc.record({ write: fc.tuple(fc.nat(300), fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 90 })) }),
  fc.record({ truncate: fc.nat(320) }),
  fc.constant({ flush: true as const }),
)

function bytes(f: { size(): number; read(o: number, b: Uint8Array): number }): number[] {
  const out = new Uint8Array(f.size())
  f.read(0, out)
  return [...out]
}

describe('IdbBlockFile', () => {
  it('what its flushes stage reloads as the model file at each flush (fast-check, seed 17)', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (cmds: Cmd[], chunkSize) => {
        const durable = new Map<number, Uint8Array>()
        let durableSize = 0
        const file = new IdbBlockFile('t', chunkSize, new Map(), 0, (chunks, size) => {
          for (const [i, c] of chunks) c ? durable.set(i, c) : durable.delete(i)
          durableSize = size
        })
        let model: number[] = []
        for (const c of [...cmds, { flush: true as const }]) {
          if ('write' in c) {
            file.write(c.write[0], Uint8Array.from(c.write[1]))
            const [at, data] = c.write
            while (model.length < at) model.push(0)
            model.splice(at, data.length, ...data)
          } else if ('truncate' in c) {
            file.truncate(c.truncate)
            model = model.slice(0, c.truncate)
            while (model.length < c.truncate) model.push(0)
          } else {
            file.flush()
            const reloaded = new IdbBlockFile('r', chunkSize, new Map([...durable].map(([i, b]) => [i, b.slice()])), durableSize, () => {})
            expect(bytes(reloaded)).toEqual(model)
            // nothing past the end is kept
            for (const i of durable.keys()) expect(i * chunkSize).toBeLessThan(Math.max(durableSize, 1))
          }
          expect(bytes(file)).toEqual(model)
        }
      }),
      { seed: 17, numRuns: 300 },
    )
  })
})
