// verify(): re-reads every page reachable from every root straight from the file (not the cache),
// checks its checksum, id and type, the key order inside and across pages, that all leaves are
// at one depth, and that no reachable slot is on the free list.

import { compareKeys } from './keys.js'
import { CorruptionError } from './errors.js'
import { Overflow, isNode, type Node, type Ref } from './node.js'
import { decodeNode } from './page.js'
import type { Pager } from './pager.js'
import type { VerifyReport } from './types.js'

export type NamedRoot = { name: string; root: Ref | null }

/** Checks every page under every root. Cost: reads every reachable page once. */
export function verifyRoots(
  pager: Pager,
  roots: NamedRoot[],
  freeSlots: Set<number>,
  onProgress?: (done: number, total: number) => void,
): VerifyReport {
  const report: VerifyReport = { ok: true, pagesChecked: 0, roots: roots.length, errors: [] }
  const checked = new Set<number>()
  const fail = (root: string, e: unknown, ref?: { slot: number; id: number }) => {
    report.ok = false
    const message = e instanceof Error ? e.message : String(e)
    report.errors.push({ root, message, slot: e instanceof CorruptionError ? e.slot : ref?.slot, pageId: e instanceof CorruptionError ? e.pageId : ref?.id })
  }
  const checkSlot = (root: string, ref: { slot: number; id: number }) => {
    if (freeSlots.has(ref.slot)) fail(root, `page ${ref.id} at slot ${ref.slot} is reachable but on the free list`, ref)
  }
  const checkChain = (root: string, ref: { slot: number; id: number }) => {
    if (checked.has(ref.slot)) return
    try {
      for (const p of pager.chainPages(ref)) {
        checkSlot(root, p)
        checked.add(p.slot)
        report.pagesChecked++
      }
    } catch (e) {
      fail(root, e, ref)
    }
  }

  roots.forEach(({ name, root }, i) => {
    let leafDepth = -1
    const visit = (ref: Ref, depth: number, lo: Uint8Array | undefined, hi: Uint8Array | undefined) => {
      let n: Node
      if (isNode(ref) && ref.slot < 0) n = ref
      else {
        const slot = ref.slot
        if (checked.has(slot)) return
        try {
          const { page, header } = pager.page(ref)
          n = decodeNode(page, slot, header, pager.layout, pager)
        } catch (e) {
          return fail(name, e, ref)
        }
        checked.add(slot)
        checkSlot(name, ref)
        report.pagesChecked++
      }
      const where = `page ${n.id}${n.slot >= 0 ? ` at slot ${n.slot}` : ' (not yet written)'}`
      for (let k = 0; k < n.keys.length; k++) {
        const key = n.keys[k]!
        if (k > 0 && compareKeys(n.keys[k - 1]!, key) >= 0) fail(name, `${where}: keys out of order at entry ${k}`, n)
        if (lo && compareKeys(key, lo) < 0) fail(name, `${where}: key below its parent's separator`, n)
        if (hi && compareKeys(key, hi) >= 0) fail(name, `${where}: key not below its parent's separator`, n)
      }
      if (n.keyChains) for (const c of n.keyChains) checkChain(name, c)
      if (n.leaf) {
        if (leafDepth < 0) leafDepth = depth
        else if (leafDepth !== depth) fail(name, `${where}: leaf at depth ${depth}, others at ${leafDepth}`, n)
        for (const v of n.vals) if (v instanceof Overflow) checkChain(name, v)
        return
      }
      if (n.kids.length !== n.keys.length + 1) fail(name, `${where}: ${n.kids.length} children for ${n.keys.length} separators`, n)
      for (let k = 0; k < n.kids.length; k++) visit(n.kids[k]!, depth + 1, k > 0 ? n.keys[k - 1] : lo, k < n.keys.length ? n.keys[k] : hi)
    }
    if (root) visit(root, 0, undefined, undefined)
    onProgress?.(i + 1, roots.length)
  })
  return report
}
