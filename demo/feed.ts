// The Live changes card: each durable commit on any head, newest first, as subscribe() delivers
// it, whoever wrote (this tab, the console, another tab). The last 50 kept, 4 changes shown each.
import type { ChangeEvent } from '@cowdb/browser'
import { $, h } from './dom.ts'
import { clock, num, show, showChange } from './format.ts'

/** What commits seen by this page did, by generation: the history list uses it. */
const summaries = new Map<number, string>()

/** "5,000 changes: +4,990 −2 ~8" for a commit this page saw, else undefined. Cost: O(1). */
export const summaryOf = (generation: number): string | undefined => summaries.get(generation)

function summarize(e: ChangeEvent): string {
  let added = 0
  let removed = 0
  for (const c of e.changes) {
    if (c.before === undefined) added++
    else if (c.after === undefined) removed++
  }
  const changed = e.changes.length - added - removed
  const keys = e.changes.length === 1 ? ` (${typeof e.changes[0]!.key === 'string' ? e.changes[0]!.key : show(e.changes[0]!.key)})` : ''
  const parts = [added && `+${num(added)}`, removed && `−${num(removed)}`, changed && `~${num(changed)}`].filter(Boolean).join(' ')
  return e.changes.length ? `${num(e.changes.length)} change${e.changes.length === 1 ? '' : 's'}${keys}: ${parts}` : 'no change'
}

/** Adds one commit to the feed. Cost: O(changes) to summarize it. */
export function addToFeed(e: ChangeEvent): void {
  summaries.set(e.commit.generation, summarize(e))
  if (summaries.size > 500) summaries.delete(summaries.keys().next().value!)
  const feed = $('feed')
  if (feed.firstElementChild?.classList.contains('muted')) feed.replaceChildren()
  const n = e.changes.length
  const li = h(
    'li',
    {},
    h('span', { class: 'gen' }, `${clock(Date.now())} #${num(e.commit.generation)}`),
    h('span', { class: `tag ${e.branch === 'main' ? 'main' : 'branch'}` }, e.branch),
    h('span', { class: 'muted' }, `${num(n)} change${n === 1 ? '' : 's'}`),
  )
  for (const c of e.changes.slice(0, 4)) {
    const k = typeof c.key === 'string' ? c.key : show(c.key)
    const [kind, text] = c.before === undefined ? ['add', `+ ${k} = ${show(c.after, 60)}`] : c.after === undefined ? ['del', `− ${k}`] : ['mod', `~ ${k}: ${showChange(c.before, c.after)}`]
    li.append(h('span', { class: `chg ${kind}` }, text))
  }
  if (n > 4) li.append(h('span', { class: 'muted' }, `… ${num(n - 4)} more`))
  feed.prepend(li)
  while (feed.children.length > 50) feed.lastElementChild!.remove()
}
