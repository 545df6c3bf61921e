// The Live changes card: each durable commit on any head, newest first, as subscribe() delivers
// it, whoever wrote (this tab, the console, another tab). The last 50 kept, 4 changes shown each.
import type { ChangeEvent } from '@cowdb/browser'
import { $, h } from './dom.ts'
import { clock, num, show } from './format.ts'

/** Adds one commit to the feed. Cost: O(1). */
export function addToFeed(e: ChangeEvent): void {
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
    const [kind, text] = c.before === undefined ? ['add', `+ ${k} = ${show(c.after, 60)}`] : c.after === undefined ? ['del', `− ${k}`] : ['mod', `~ ${k}: ${show(c.before, 30)} → ${show(c.after, 30)}`]
    li.append(h('span', { class: `chg ${kind}` }, text))
  }
  if (n > 4) li.append(h('span', { class: 'muted' }, `… ${num(n - 4)} more`))
  feed.prepend(li)
  while (feed.children.length > 50) feed.lastElementChild!.remove()
}
