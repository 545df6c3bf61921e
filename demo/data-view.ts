// The Data card: the keys and values at the viewed point (the head, a history entry or a named
// snapshot) of the current branch, 50 a page, filtered by prefix. It redraws on every commit to
// this branch, whoever made it, and when another point is selected.
import { prefixRange, type Key, type Range } from '@cowdb/browser'
import { app } from './app.ts'
import { countKeys } from './counts.ts'
import { $, coalesce, h } from './dom.ts'
import { act, fail } from './feedback.ts'
import { num, plural, show } from './format.ts'
import { sampleSoon } from './live.ts'
import { edit } from './write.ts'

const PAGE = 50
/** Start keys of the pages before the one shown (paging back); the shown page's start is last. */
let starts: (Key | undefined)[] = [undefined]
let lastKey: Key | undefined
let hasNext = false

const showKey = (k: Key) => (typeof k === 'string' ? k : show(k))

function range(): Range {
  const prefix = $<HTMLInputElement>('prefix').value
  const r: Range = prefix ? prefixRange(prefix) : {}
  const start = starts[starts.length - 1]
  return start === undefined ? r : { ...r, gt: start, gte: undefined }
}

async function draw(): Promise<void> {
  if (!app.shows('explore')) return // hidden: redrawn when the view is shown
  const at = app.readAt
  const past = app.at !== undefined
  const prefix = $<HTMLInputElement>('prefix').value
  const whole: Range = prefix ? prefixRange(prefix) : {}
  const [rows, total] = await Promise.all([app.db.scan({ ...range(), ...at, limit: PAGE + 1 }), countKeys(whole, at)])
  hasNext = rows.length > PAGE
  const shown = rows.slice(0, PAGE)
  lastKey = shown.at(-1)?.[0]
  const body = $('rows').querySelector('tbody')!
  const branch = app.branch
  body.replaceChildren(
    ...shown.map(([k, v]) => {
      const actions = past
        ? h('button', { class: 'ghost tiny', title: 'write this old value to the head', onclick: () => void act(null, () => app.db.put(k, v, { branch }), () => `put back ${showKey(k)} as it was at this point`).then(sampleSoon) }, 'put back')
        : h(
            'span',
            { class: 'row-actions' },
            typeof k === 'string' ? h('button', { class: 'ghost tiny', 'aria-label': `edit ${k}`, onclick: () => edit(k, v) }, 'edit') : null,
            h('button', { class: 'ghost tiny danger', 'aria-label': `delete ${showKey(k)}`, onclick: () => void act(null, () => app.db.delete(k, { branch }), (c) => `deleted ${showKey(k)} (commit #${c.generation})`).then(sampleSoon) }, '×'),
          )
      return h('tr', {}, h('td', { class: 'k', title: showKey(k) }, showKey(k)), h('td', { class: 'v', title: show(v, 600) }, show(v)), h('td', { class: 'a' }, actions))
    }),
  )
  if (!shown.length) body.append(h('tr', {}, h('td', { colspan: 3, class: 'muted empty' }, prefix ? `no key starts with “${prefix}”` : 'no keys here yet: put one, or generate some')))
  const first = (starts.length - 1) * PAGE
  $('count').textContent = plural(total, 'key')
  $('page-info').textContent = shown.length ? `${num(first + 1)}–${num(first + shown.length)} of ${num(total)}` : ''
  $<HTMLButtonElement>('page-prev').disabled = starts.length <= 1
  $<HTMLButtonElement>('page-next').disabled = !hasNext
  $('viewing').textContent = past ? 'at the viewed point (read-only: "put back" copies a value to the head)' : `at the head of ${app.branch}`
  $('view-explore').classList.toggle('past', past)
}

/** Redraws the card (coalesced: a burst of commits redraws it a few times). Cost: one scan of 51 keys and a (shared) count. */
export const refreshData = coalesce(draw, 250, fail, document.querySelector<HTMLElement>('.area-data') ?? undefined)

/** Wires the card. Cost: O(1). */
export function wireData(): void {
  const reset = () => {
    starts = [undefined]
    refreshData()
  }
  $('prefix').addEventListener('input', reset)
  $('page-next').onclick = () => {
    if (!hasNext || lastKey === undefined) return
    starts.push(lastKey)
    refreshData()
  }
  $('page-prev').onclick = () => {
    if (starts.length > 1) starts.pop()
    refreshData()
  }
  app.on(['data', 'view'], refreshData)
  app.on(['select'], () => (starts = [undefined]))
}
