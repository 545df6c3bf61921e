// The pages card: the head's copy-on-write tree, level by level, one box per page. A page the
// compared snapshot also reaches (the same page id) is shared; the others were written since.
// Take a snapshot, change one key, and one root-to-leaf path turns green: that is all a write copies.
import type { BrowserDatabase, PageInfo, SnapshotInfo } from '@cowdb/browser'

const levels = (root: PageInfo | null): PageInfo[][] => {
  const out: PageInfo[][] = []
  for (let row = root ? [root] : []; row.length; row = row.flatMap((p) => p.children ?? [])) out.push(row)
  return out
}

function box(p: PageInfo, shared: boolean): HTMLElement {
  const b = document.createElement('span')
  b.className = `page ${p.leaf ? 'leaf' : 'branch'} ${shared ? 'shared' : 'fresh'}`
  const keys = p.leaf && p.first !== undefined ? `, keys ${JSON.stringify(p.first)} … ${JSON.stringify(p.last)}` : ''
  b.title = `page ${p.id} · ${p.slot < 0 ? 'in memory (written at the next checkpoint)' : `slot ${p.slot}`} · generation ${p.generation} · ${p.entries} ${p.leaf ? 'entries' : 'children'}${keys}${shared ? ' · shared' : ''}`
  return b
}

/** Draws the head's pages into `el`, marking those `against` also reaches; `legend` says what is what. */
export async function drawPages(db: BrowserDatabase, el: HTMLElement, legend: HTMLElement, against?: SnapshotInfo): Promise<void> {
  const rows = levels(await db.inspect({ maxPages: 400 }))
  const shared = new Set<number>()
  if (against) for (const row of levels(await db.inspect({ snapshot: against.id, maxPages: 4000 }))) for (const p of row) shared.add(p.id)
  let fresh = 0
  el.replaceChildren(
    ...rows.map((row, depth) => {
      const line = document.createElement('div')
      line.className = 'level'
      const label = document.createElement('span')
      label.className = 'depth muted small'
      label.textContent = depth === 0 ? 'root' : depth === rows.length - 1 && row[0]?.leaf ? 'leaves' : `level ${depth}`
      line.append(label, ...row.map((p) => {
        if (against && !shared.has(p.id)) fresh++
        return box(p, against !== undefined && shared.has(p.id))
      }))
      const more = row.reduce((n, p) => n + (p.more ?? 0), 0)
      if (more) line.append(` + ${more} more`)
      return line
    }),
  )
  const total = rows.reduce((n, r) => n + r.length, 0)
  legend.textContent = !rows.length
    ? 'empty'
    : against
      ? `${fresh} of ${total} pages written since “${against.label ?? against.id}” (green); ${total - fresh} shared with it (grey) · hover a page`
      : `${total} pages · take a snapshot, change a key, and see which pages the write copied · hover a page`
}
