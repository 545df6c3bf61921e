// The Diff card: what the viewed point's commit changed (from the point before it), or what lies
// between the viewed point and the head. It redraws with every commit and every selection.
import type { Change } from '@cowdb/browser'
import { app } from './app.ts'
import { $, coalesce, h } from './dom.ts'
import { fail } from './feedback.ts'
import { num, plural, show } from './format.ts'
import { comparedWith, indexOf, pointsOf, type Point } from './points.ts'

const SHOWN = 200
/** The card asks diff() for at most this many changes (and one more, to know there are more). */
const TOO_MANY = 20_000

const name = (p: Point) => (p.kind === 'head' ? 'now' : p.kind === 'history' ? `commit #${num(p.generation)}` : `“${p.label}”`)

function rows(changes: Change[]): HTMLElement[] {
  return changes.slice(0, SHOWN).map((c) =>
    h(
      'tr',
      { class: c.before === undefined ? 'added' : c.after === undefined ? 'removed' : 'changed' },
      h('td', { class: 'k', title: typeof c.key === 'string' ? c.key : show(c.key) }, typeof c.key === 'string' ? c.key : show(c.key)),
      h('td', { class: 'del', title: show(c.before, 600) }, show(c.before)),
      h('td', { class: 'add', title: show(c.after, 600) }, show(c.after)),
    ),
  )
}

async function draw(): Promise<void> {
  if (!app.shows('explore')) return // hidden: redrawn when the view is shown
  const points = pointsOf(app.catalog, app.branch)
  const i = indexOf(points, app.at)
  const at = points[i] ?? points[points.length - 1]!
  const other = comparedWith(points, i, app.compare)
  const body = $('diff').querySelector('tbody')!
  const title = $('diff-title')
  if (!other) {
    title.textContent = app.compare === 'head' ? 'the viewed point is the head' : 'the first point kept: nothing before it to compare with'
    body.replaceChildren()
    return
  }
  const [from, to] = app.compare === 'head' ? [at, other] : [other, at]
  if (!from.id) return // the head is never the older side
  // bounded: the diff stops after TOO_MANY + 1 changes, whatever the distance between the points
  const changes = await app.db.diff(from.id, to.id, { branch: app.branch, limit: TOO_MANY + 1 })
  if (changes.length > TOO_MANY) {
    title.textContent = `${name(from)} → ${name(to)}: more than ${num(TOO_MANY)} keys differ, too many to list here (dbctl diff lists them all)`
    body.replaceChildren()
    return
  }
  const added = changes.filter((c) => c.before === undefined).length
  const removed = changes.filter((c) => c.after === undefined).length
  title.textContent = `${name(from)} → ${name(to)}: ${changes.length ? `${plural(changes.length, 'change')} (${num(added)} added, ${num(removed)} removed, ${num(changes.length - added - removed)} changed)` : 'no change'}${changes.length > SHOWN ? `, first ${SHOWN} shown` : ''}`
  body.replaceChildren(...rows(changes))
}

/** Redraws the card (coalesced). Cost: one diff, O(changes) up to TOO_MANY. */
export const refreshDiff = coalesce(draw, 400, fail, document.querySelector<HTMLElement>('.area-diff') ?? undefined)

/** Wires the card. Cost: O(1). */
export function wireDiff(): void {
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=compare]')) {
    radio.addEventListener('change', () => {
      app.compare = radio.value as 'previous' | 'head'
      app.emit('select')
      app.emit('data')
    })
  }
  app.on(['data', 'catalog', 'view'], refreshDiff)
}
