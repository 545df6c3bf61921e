// A plain-Map model of the database for model-based tests: head plus whole copies per snapshot.
import { compareKeys, encodeKey } from '../src/keys.js'
import type { Key, Range } from '../src/types.js'

export type Entries = Map<string, { key: Key; value: unknown; enc: Uint8Array }>

export function modelKey(k: Key): string {
  return Buffer.from(encodeKey(k)).toString('hex')
}

export class Model {
  head: Entries = new Map()
  snaps = new Map<string, Entries>()

  put(key: Key, value: unknown) {
    this.head.set(modelKey(key), { key, value, enc: encodeKey(key) })
  }
  delete(key: Key) {
    this.head.delete(modelKey(key))
  }
  deleteRange(r: Range) {
    for (const [h, e] of this.head) if (inRange(e.enc, r)) this.head.delete(h)
  }
  at(snapshot?: string): Entries {
    return snapshot === undefined ? this.head : this.snaps.get(snapshot)!
  }
  scan(r: Range & { limit?: number; reverse?: boolean }, snapshot?: string): [Key, unknown][] {
    const all = [...this.at(snapshot).values()].filter((e) => inRange(e.enc, r)).sort((a, b) => compareKeys(a.enc, b.enc))
    if (r.reverse) all.reverse()
    return all.slice(0, r.limit ?? 1000).map((e) => [e.key, e.value])
  }
}

export function inRange(enc: Uint8Array, r: Range): boolean {
  if (r.gt !== undefined && compareKeys(enc, encodeKey(r.gt)) <= 0) return false
  if (r.gte !== undefined && compareKeys(enc, encodeKey(r.gte)) < 0) return false
  if (r.lt !== undefined && compareKeys(enc, encodeKey(r.lt)) >= 0) return false
  if (r.lte !== undefined && compareKeys(enc, encodeKey(r.lte)) > 0) return false
  return true
}
