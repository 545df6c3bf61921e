// A follower's mirror of the owner's publishes (mirror.ts): pages before roots, one owner's pages
// at a time (a newer owner empties it: it may issue the same page ids again for other pages), a
// late publish of an older owner dropped. Read back through the same reader the page uses.
import { describe, expect, it } from 'vitest'
import { decodeValue, encodeKey, encodeValue } from '@cowdb/core'
import { MISS, readValue } from '@cowdb/core/page-read'
import { Layout, Node } from '../../core/src/node.js'
import { encodeNode } from '../../core/src/page.js'
import { Mirror } from './mirror.js'
import type { PagesMessage } from './protocol.js'
import { SharedCacheReader } from './shared-cache.js'

const PAGE = 1024
/** A leaf page with id `id` holding key 1 -> `value`. */
function leaf(id: number, value: string): Uint8Array {
  const n = new Node(true, id, 1, 0)
  n.keys = [encodeKey(1)]
  n.vals = [encodeValue(value)]
  const page = new Uint8Array(PAGE)
  encodeNode(n, page, new Layout(PAGE), { writeChain: () => { throw new Error('no chains') }, readChain: () => { throw new Error('no chains') } })
  return page
}
const publish = (term: number, generation: number, pages: [number, Uint8Array][]): PagesMessage => ({
  kind: 'pages', term, pageSize: PAGE, pages, roots: { generation, heads: [['main', pages[0]?.[0] ?? 0]], snapshots: [] },
})

describe('Mirror', () => {
  it('holds one owner\'s pages: a newer owner empties it, a late publish of an older one is dropped', () => {
    let buffer: ArrayBufferLike | undefined
    const mirror = new Mirror('me', 1024 * 1024, (b) => (buffer = b))
    expect(mirror.want).toEqual({ kind: 'want-pages', from: 'me', bytes: 1024 * 1024 })
    mirror.apply(publish(1, 5, [[40, leaf(40, 'old owner')]]))
    const reader = new SharedCacheReader(buffer!)
    const read = () => {
      const roots = reader.currentRoots()!
      const v = readValue(reader, roots.head('main')!, encodeKey(1))
      return { generation: roots.generation, value: v === MISS || v === undefined ? v : decodeValue(v) }
    }
    expect(read()).toEqual({ generation: 5, value: 'old owner' })

    // the next owner (term 2) issues id 40 again, for another page
    mirror.apply(publish(2, 6, [[40, leaf(40, 'new owner')]]))
    expect(read()).toEqual({ generation: 6, value: 'new owner' })
    // a publish of the old owner still on its way is dropped
    mirror.apply(publish(1, 5, [[40, leaf(40, 'old owner')]]))
    expect(read()).toEqual({ generation: 6, value: 'new owner' })
    // a newer owner's publish without that page: the old page is gone, not read as the new one's
    mirror.apply(publish(3, 7, [[41, leaf(41, 'third one')]]))
    expect(reader.find(40)).toBe(-1)
    expect(read()).toEqual({ generation: 7, value: 'third one' })
    expect(mirror.buffer).toBe(buffer)
  })
})
