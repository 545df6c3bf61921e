// sorted-btree in this worker's memory: the ceiling for an in-memory B+tree with no durability.
import * as sortedBtree from 'sorted-btree'
import type BTreeType from 'sorted-btree'
import { hostEngine, type Engine } from './engine.ts'

// sorted-btree is CommonJS (exports.default = BTree); depending on how the bundler wraps it, the
// class is the default import or that import's own `default`.
const imported = sortedBtree as unknown as { default: typeof BTreeType & { default?: typeof BTreeType } }
const BTree = imported.default.default ?? imported.default

function sortedBtreeEngine(): Engine {
  let tree: BTreeType<string, Uint8Array> = new BTree()
  let copy: BTreeType<string, Uint8Array> | undefined
  return {
    version: 'sorted-btree (in memory)',
    async open() {
      tree = new BTree()
    },
    async load(keys, value) {
      for (const k of keys) tree.set(k, value)
    },
    commit: (key, value) => void tree.set(key, value), // nothing to make durable
    get: (key) => tree.get(key),
    getMany: (keys) => keys.map((k) => tree.get(k)),
    scan(from, limit) {
      let n = 0
      for (const entry of tree.entries(from)) {
        void entry
        if (++n >= limit) break
      }
      return n
    },
    async copy(probe) {
      copy = tree.clone() // copy-on-write: shares every node until one side changes
      if (copy.get(probe) === undefined) throw new Error('clone unreadable')
    },
    dropCopy: async () => void (copy = undefined),
    bytes: async () => 'in memory: no disk',
    async drop() {
      tree = new BTree()
    },
  }
}

hostEngine(sortedBtreeEngine)
