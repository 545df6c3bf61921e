import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { MemoryBlockFile } from './memory-store.js'

// A plain byte array that grows with zeros is the model of a file: what every BlockFile must be.
type Op = { kind: 'write'; offset: number; data: number[] } | { kind: 'truncate'; size: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), offset: fc.nat(300), data: fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 40 }) }),
  fc.record({ kind: fc.constant('truncate' as const), size: fc.nat(300) }),
)

describe('MemoryBlockFile', () => {
  it('reads what a file would: zeros in every gap, after any truncate', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const file = new MemoryBlockFile()
        let model: number[] = []
        for (const o of ops) {
          if (o.kind === 'write') {
            file.write(o.offset, Uint8Array.from(o.data))
            while (model.length < o.offset) model.push(0)
            o.data.forEach((b, i) => (model[o.offset + i] = b))
          } else {
            file.truncate(o.size)
            model = model.slice(0, o.size)
            while (model.length < o.size) model.push(0)
          }
          expect(file.size()).toBe(model.length)
          const into = new Uint8Array(model.length)
          expect(file.read(0, into)).toBe(model.length)
          expect(Array.from(into)).toEqual(model)
        }
      }),
      { seed: 16, numRuns: 300 },
    )
  })
})
