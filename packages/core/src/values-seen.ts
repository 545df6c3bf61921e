// The objects the encoder has met, each with its ordinal (its index in the decoder's table).

/** Up to this many objects, Seen keeps them in a list. */
const LIST_MAX = 32

/**
 * The objects met while encoding, each with its ordinal. Most values hold a few objects: up to
 * 32 are kept in a list and found by a linear scan, which measured cheaper than a Map (V8 must
 * first give each object an identity hash); past 32 a Map takes over.
 */
export class Seen {
  objects: (object | undefined)[] = []
  ordinals: number[] = []
  count = 0
  map: Map<object, number> | null = null

  /** `o`'s ordinal, or undefined if it was not met. Cost: a scan of at most 32, or a Map lookup. */
  get(o: object): number | undefined {
    if (this.map !== null) return this.map.get(o)
    const objects = this.objects
    for (let i = 0; i < this.count; i++) if (objects[i] === o) return this.ordinals[i]
    return undefined
  }

  /** Records `o`, or changes its ordinal if it is here already. Cost: as get. */
  set(o: object, ordinal: number): void {
    if (this.map !== null) {
      this.map.set(o, ordinal)
      return
    }
    for (let i = 0; i < this.count; i++) {
      if (this.objects[i] === o) {
        this.ordinals[i] = ordinal
        return
      }
    }
    if (this.count === LIST_MAX) {
      this.map = new Map()
      for (let i = 0; i < this.count; i++) this.map.set(this.objects[i]!, this.ordinals[i]!)
      this.map.set(o, ordinal)
      return
    }
    this.objects[this.count] = o
    this.ordinals[this.count++] = ordinal
  }

  /** Forgets everything (and drops the references, so nothing is kept alive). Cost: O(32). */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.objects[i] = undefined
    this.count = 0
    this.map = null
  }
}
