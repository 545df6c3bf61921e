// The Pages card: the viewed point's copy-on-write tree, level by level, one box per page. A page
// the compared point also reaches (the same page id) is shared (grey); the others (green) were
// written since: after one put, that is one root-to-leaf path. Arrow keys walk the pages.
import type { PageInfo } from '@cowdb/browser'
import { app } from './app.ts'
import { $, coalesce, h } from './dom.ts'
import { fail } from './feedback.ts'
import { num } from './format.ts'
import { comparedWith, indexOf, pointsOf, type Point } from './points.ts'

const levels = (root: PageInfo | null): PageInfo[][] => {
  const out: PageInfo[][] = []
  for (let row = root ? [root] : []; row.length; row = row.flatMap((p) => p.children ?? [])) out.push(row)
  return out
}
const readOf = (p: Point) => (p.id ? { snapshot: p.id, branch: app.branch } : { branch: app.branch })
const name = (p: Point) => (p.kind === 'head' ? 'now' : p.kind === 'history' ? `commit #${num(p.generation)}` : `“${p.label}”`)

/** Pages drawn, in reading order, for the keyboard cursor. */
let boxes: { el: HTMLElement; text: string }[] = []
let cursor = -1

function describe(p: PageInfo, shared: boolean | undefined): string {
  const keys = p.leaf && p.first !== undefined ? ` · keys ${JSON.stringify(p.first)} … ${JSON.stringify(p.last)}` : ''
  const where = p.slot < 0 ? 'in memory until the next checkpoint' : `slot ${p.slot}`
  return `${p.leaf ? 'leaf' : 'branch'} page ${p.id} · ${where} · written by commit #${p.generation} · ${p.entries} ${p.leaf ? 'entries' : 'children'}${keys}${shared === undefined ? '' : shared ? ' · shared' : ' · written since'}`
}

function point(i: number): void {
  if (!boxes.length) return
  cursor = Math.max(0, Math.min(boxes.length - 1, i))
  for (const b of boxes) b.el.classList.remove('cursor')
  boxes[cursor]!.el.classList.add('cursor')
  $('page-info-line').textContent = boxes[cursor]!.text
}

async function draw(): Promise<void> {
  if (!app.shows('explore')) return // hidden: redrawn when the view is shown
  const points = pointsOf(app.catalog, app.branch)
  const at = points[Math.max(0, indexOf(points, app.at))] ?? points[points.length - 1]!
  const against = comparedWith(points, indexOf(points, app.at), app.compare)
  const [tree, other] = await Promise.all([app.db.inspect({ ...readOf(at), maxPages: 400 }), against ? app.db.inspect({ ...readOf(against), maxPages: 4000 }) : null])
  const rows = levels(tree)
  const shared = new Set<number>()
  for (const row of levels(other)) for (const p of row) shared.add(p.id)
  let fresh = 0
  // children left out of the drawing belong to the level below the page that has them
  const left = rows.map((_, depth) => (depth ? rows[depth - 1]!.reduce((n, p) => n + (p.more ?? 0), 0) : 0))
  const cut = rows.at(-1)?.reduce((n, p) => n + (p.more ?? 0), 0) ?? 0
  const more = left.reduce((a, b) => a + b, 0) + cut
  const line = (label: string, pages: PageInfo[], notDrawn: number) =>
    h(
      'div',
      { class: 'level' },
      h('span', { class: 'depth muted small' }, label),
      ...pages.map((p) => {
        const isShared = against ? shared.has(p.id) : undefined
        if (isShared === false) fresh++
        const text = describe(p, isShared)
        const el = h('span', { class: `page ${p.leaf ? 'leaf' : 'branch'} ${isShared === undefined ? 'plain' : isShared ? 'shared' : 'fresh'}`, title: text })
        const index = boxes.length
        el.addEventListener('mouseenter', () => point(index))
        boxes.push({ el, text })
        return el
      }),
      notDrawn ? h('span', { class: 'muted small' }, ` + ${num(notDrawn)} more`) : null,
    )
  boxes = []
  $('pages').replaceChildren(
    ...rows.map((row, depth) => line(depth === 0 ? 'root' : row[0]?.leaf ? 'leaves' : `level ${depth}`, row, left[depth]!)),
    ...(cut ? [line(`level ${rows.length}`, [], cut)] : []),
  )
  const total = boxes.length
  $('pages-legend').textContent = !rows.length
    ? 'empty: no page yet'
    : against
      ? `${num(fresh)} of ${num(total)} pages drawn are not in ${name(against)} (green): ${app.compare === 'head' ? 'the head no longer reaches them' : 'written by this commit'}; ${num(total - fresh)} shared (grey)${more ? ` · ${num(more)} more pages not drawn` : ''}`
      : `${num(total)} pages${more ? ` (+ ${num(more)} not drawn)` : ''} · nothing earlier to compare with`
  if (cursor >= boxes.length) cursor = -1
  if (cursor >= 0) point(cursor)
  else $('page-info-line').textContent = total ? 'hover a page, or focus the tree and use the arrow keys' : ''
}

/** Redraws the card (coalesced). Cost: two inspect() calls, at most 400 + 4,000 pages. */
export const refreshPages = coalesce(draw, 400, fail, document.querySelector<HTMLElement>('.area-pages') ?? undefined)

/** Wires the card. Cost: O(1). */
export function wirePages(): void {
  const el = $('pages')
  el.addEventListener('keydown', (e) => {
    const step: Record<string, number> = { ArrowRight: 1, ArrowDown: 8, ArrowLeft: -1, ArrowUp: -8, Home: -Infinity, End: Infinity }
    if (!(e.key in step)) return
    e.preventDefault()
    const s = step[e.key]!
    point(s === -Infinity ? 0 : s === Infinity ? boxes.length - 1 : (cursor < 0 ? 0 : cursor + s))
  })
  el.addEventListener('focus', () => cursor < 0 && point(0))
  app.on(['data', 'catalog', 'view'], refreshPages)
}
