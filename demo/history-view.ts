// The History & branches view's lists of the current branch: its named snapshots (backups
// grouped apart) and its history entries, newest first. Each entry can be viewed (the timeline
// moves there), restored, branched from; named ones dropped.
import { app } from './app.ts'
import { ask } from './dialog.ts'
import { $, h } from './dom.ts'
import { act } from './feedback.ts'
import { summaryOf } from './feed.ts'
import { ago, clock, num, plural } from './format.ts'
import { sampleSoon } from './live.ts'
import { pointsOf, type Point } from './points.ts'
import { branchFrom, takeSnapshot } from './timeline.ts'

function actions(p: Point): HTMLElement {
  const branch = app.branch
  const viewing = app.at === p.id
  return h(
    'span',
    { class: 'item-actions' },
    h('button', { class: 'ghost tiny', 'aria-pressed': viewing ? 'true' : 'false', onclick: () => app.select(viewing ? undefined : p.id) }, viewing ? 'viewing' : 'view'),
    h('button', { class: 'ghost tiny', onclick: () => void act(null, () => app.db.restore(p.id!, { branch }), (c) => `restored “${p.label}” as the head of ${branch} (commit #${c.generation})`).then(() => (app.select(undefined), sampleSoon())) }, 'restore'),
    h('button', { class: 'ghost tiny', onclick: () => void branchFrom(p) }, 'branch'),
    p.kind !== 'history'
      ? h(
          'button',
          {
            class: 'ghost tiny danger',
            'aria-label': `drop snapshot ${p.label}`,
            onclick: async () => {
              const yes = await ask({ title: `Drop snapshot “${p.label}”?`, body: 'Its pages go back to the free list at the next garbage collection, unless the head or another snapshot still shares them.', confirm: 'Drop', danger: true })
              if (yes === undefined) return
              await act(null, () => app.db.dropSnapshot(p.id!), () => `dropped snapshot “${p.label}”`)
              if (app.at === p.id) app.select(undefined)
              sampleSoon()
            },
          },
          'drop',
        )
      : null,
  )
}

function item(p: Point, tags: string[]): HTMLElement {
  return h(
    'li',
    { class: `${app.at === p.id ? 'on' : ''}${p.undone ? ' undone' : ''}` },
    h('span', { class: 'item-main' }, h('b', {}, p.kind === 'history' ? `#${num(p.generation)}` : p.label), ...tags.map((t) => h('span', { class: `tag ${t}` }, t)), h('span', { class: 'muted small' }, `${clock(p.createdAt)} · ${ago(p.createdAt)}${p.kind === 'history' ? (summaryOf(p.generation) ? ` · ${summaryOf(p.generation)}` : '') : ` · at commit #${num(p.generation)}`}`)),
    actions(p),
  )
}

function draw(): void {
  const points = pointsOf(app.catalog, app.branch)
  for (const el of document.querySelectorAll('.branch-name')) el.textContent = app.branch
  const named = points.filter((p) => p.kind === 'named' || p.kind === 'backup').reverse()
  const list = $('snapshots')
  list.replaceChildren(...named.map((p) => item(p, p.kind === 'backup' ? ['backup'] : [])))
  if (!named.length) list.append(h('li', { class: 'muted small empty' }, `no named snapshot on ${app.branch} yet`))

  const history = points.filter((p) => p.kind === 'history')
  const headAt = history.filter((p) => !p.undone).at(-1)
  $('hist-sub').textContent = history.length ? `${plural(history.length, 'commit')} of ${app.branch} kept (the last 100), newest first` : ''
  $('history').replaceChildren(...history.reverse().map((p) => item(p, p === headAt ? ['head'] : p.undone ? ['undone'] : [])))
  if (!history.length) $('history').append(h('li', { class: 'muted small empty' }, 'no commit kept yet'))
}

/** Wires the lists. Cost: O(1). */
export function wireHistory(): void {
  $('snap-form').addEventListener('submit', (e) => {
    e.preventDefault()
    const box = $<HTMLInputElement>('label')
    void takeSnapshot(box.value).then(() => (box.value = ''))
  })
  app.on(['catalog', 'select'], draw)
}
