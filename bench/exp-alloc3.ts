import { encodeKey, encodeValue } from '../packages/core/src/index.ts'
import { sortedOrder } from '../packages/core/src/keysort.ts'
import { buildSorted, Tree } from '../packages/core/src/btree.ts'
import { Pager } from '../packages/core/src/pager.ts'
import { Layout } from '../packages/core/src/node.ts'
import { MemoryBlockFile } from '../packages/core/src/memory-store.ts'
import { encodeOps } from '../packages/core/src/ops.ts'
import { dataset } from './measure.ts'
import { allocated } from './alloc.ts'
const n = 100_000
const { keys, value } = dataset(n)
const userOps = keys.map((key) => ({ type: 'put' as const, key, value }))
const per = (a: { heap: number; external: number }) => `heap ${(a.heap / n).toFixed(0)} external ${(a.external / n).toFixed(0)} B/key`
for (let r = 0; r < 2; r++) {
  let ops: any
  console.log('encodeOps', per(await allocated(async () => { ops = encodeOps(userOps) })))
  let order: Uint32Array
  const ks = ops.map((o: any) => o.key)
  console.log('sortedOrder', per(await allocated(async () => { order = sortedOrder(ks) })))
  const sk = [...order!].map((i) => ops[i].key), sv = [...order!].map((i) => ops[i].value)
  const pager = new Pager(new MemoryBlockFile(), new Layout(4096), 64 << 20)
  const tree = new Tree(pager)
  let root: any
  console.log('buildSorted', per(await allocated(async () => { root = buildSorted(tree, sk, sv) })))
  const nodes: any[] = []
  const collect = (x: any) => { if (!x.leaf) x.kids.forEach(collect); nodes.push(x) }
  collect(root)
  console.log('writeNode all', per(await allocated(async () => { for (const x of nodes) pager.writeNode(x) })))
  console.log('writeStaged', per(await allocated(async () => { pager.writeStaged() })))
}
