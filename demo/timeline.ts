// The timeline: a slider over the current branch's history entries and named snapshots, oldest
// first, "now" (the head) last. The data, the tree drawing and the diff follow the selected
// point; from it: restore, branch; and undo, redo, snapshot on the head. Keyboard: the slider
// takes arrows, Home and End; Escape goes back to now; Ctrl+Z / Ctrl+Shift+Z undo and redo.
import { app } from './app.ts'
import { ask } from './dialog.ts'
import { $, h } from './dom.ts'
import { act } from './feedback.ts'
import { ago, clock, num, plural } from './format.ts'
import { sampleSoon } from './live.ts'
import { indexOf, pointsOf, snapshotOfHead, type Point } from './points.ts'
import { newTenant } from './tenants.ts'

let points: Point[] = []

const describe = (p: Point): string =>
  p.kind === 'head'
    ? `the head of ${app.branch}`
    : `${p.kind === 'history' ? 'commit' : p.kind === 'backup' ? 'backup snapshot' : 'snapshot'} ${p.kind === 'history' ? `#${p.generation}` : `“${p.label}”`}`

function drawMarks(): void {
  const marks = $('marks')
  const last = Math.max(1, points.length - 1)
  marks.replaceChildren(
    ...points.map((p, i) =>
      h('button', {
        class: `mark ${p.kind}${p.undone ? ' undone' : ''}${p.id === app.at || (p.kind === 'head' && !app.at) ? ' on' : ''}`,
        style: `left: calc(${(i / last) * 100}% )`,
        tabindex: -1,
        title: `${describe(p)}${p.kind === 'head' ? '' : ` · ${clock(p.createdAt)}`}${p.undone ? ' · undone (redo brings it back)' : ''}`,
        onclick: () => app.select(p.id),
      }),
    ),
  )
}

/** Places the slider on the selected point and says where the page is. */
function drawWhere(): void {
  const slider = $<HTMLInputElement>('slider')
  let i = indexOf(points, app.at)
  if (i < 0) i = points.length - 1
  slider.max = String(points.length - 1)
  slider.value = String(i)
  slider.style.setProperty('--fill', `${points.length > 1 ? (i / (points.length - 1)) * 100 : 100}%`)
  const p = points[i]!
  slider.setAttribute('aria-valuetext', `${describe(p)}${p.kind === 'head' ? '' : `, ${clock(p.createdAt)}`}, point ${i + 1} of ${points.length}`)
  const badge = $('at-badge')
  badge.textContent = p.kind === 'head' ? 'now' : p.undone ? 'undone' : p.kind === 'history' ? 'past' : p.kind
  badge.className = `badge ${p.kind}${p.undone ? ' undone' : ''}`
  $('at-label').textContent = describe(p)
  $('at-detail').textContent = p.kind === 'head' ? `${plural(points.length - 1, 'point')} behind it` : `${clock(p.createdAt)} · ${ago(p.createdAt)}${p.undone ? ' · redo brings it back' : ''}`
  const head = app.heads.find((b) => b.name === app.branch)
  $<HTMLButtonElement>('undo').disabled = !head || head.undoable === 0
  $<HTMLButtonElement>('redo').disabled = !head || head.redoable === 0
  $('undo').title = head ? `Undo (Ctrl+Z): ${plural(head.undoable, 'step')} back kept` : 'Undo'
  $('redo').title = head ? `Redo (Ctrl+Shift+Z): ${plural(head.redoable, 'step')}` : 'Redo'
  $<HTMLButtonElement>('restore').disabled = p.kind === 'head'
  $<HTMLButtonElement>('to-now').disabled = p.kind === 'head'
  $('tl-start').textContent = points.length > 1 ? `${clock(points[0]!.createdAt)}` : ''
  const named = points.filter((q) => q.kind === 'named' || q.kind === 'backup').length
  $('tl-count').textContent = `${plural(points.filter((q) => q.kind === 'history').length, 'commit')} kept · ${plural(named, 'snapshot')}`
  $('timeline').classList.toggle('past', p.kind !== 'head')
  drawMarks()
}

function rebuild(): void {
  points = pointsOf(app.catalog, app.branch)
  drawWhere()
}

/** Undo or redo on the current branch, saying what happened. */
function move(step: 'undo' | 'redo'): void {
  const branch = app.branch
  void act($<HTMLButtonElement>(step), () => (step === 'undo' ? app.db.undo({ branch }) : app.db.redo({ branch })), (c) =>
    !c
      ? `nothing to ${step} on ${branch}`
      : step === 'undo'
        ? `undid one commit on ${branch}: the head points at the tree before it again (commit #${c.generation}, no page copied)`
        : `redid one commit on ${branch}: the head points at the tree it had undone (commit #${c.generation}, no page copied)`,
  ).then(sampleSoon)
}

/** Asks for a branch name and makes the branch at `from` (a snapshot id) or the head. Cost: O(1) in the engine. */
export async function branchFrom(from: Point | undefined): Promise<void> {
  if (app.isTenant(app.branch)) return newTenant(from && from.kind !== 'head' ? from : undefined, describe) // a tenant's points clone into tenants
  const taken = new Set(app.heads.map((b) => b.name))
  const name = await ask({
    title: from && from.kind !== 'head' ? `New branch from ${describe(from)}` : `New branch from the head of ${app.branch}`,
    body: 'A branch is a second head sharing every page with where it starts: O(1), nothing copied until one of them writes.',
    confirm: 'Create branch',
    input: {
      label: 'Branch name',
      placeholder: 'experiment',
      validate: (v) => (!v.trim() ? 'Give it a name.' : taken.has(v.trim()) ? `“${v.trim()}” exists already.` : /[/\\]/.test(v) ? 'No slashes in a branch name.' : undefined),
    },
  })
  if (name === undefined) return
  const trimmed = name.trim()
  const made = await act(
    null,
    async () => {
      const base = from && from.kind !== 'head' ? from.id : snapshotOfHead(points)?.id
      if (base) return app.db.branch(trimmed, { from: base })
      if (app.branch === 'main') return app.db.branch(trimmed) // main's head
      // a branch's head with no snapshot of its state (history off): name it for a moment
      const tmp = (await app.db.snapshot({ label: 'branch base', branch: app.branch })).id
      try {
        return await app.db.branch(trimmed, { from: tmp })
      } finally {
        await app.db.dropSnapshot(tmp)
      }
    },
    () => `made branch ${trimmed}; the page works on it now (the branch menu switches back)`,
  )
  if (!made) return
  app.switchBranch(trimmed)
  sampleSoon()
}

/** Wires the timeline. Cost: O(1). */
export function wireTimeline(): void {
  const slider = $<HTMLInputElement>('slider')
  slider.addEventListener('input', () => app.select(points[Number(slider.value)]?.id))
  $('to-now').onclick = () => app.select(undefined)
  $('undo').onclick = () => move('undo')
  $('redo').onclick = () => move('redo')
  $('restore').onclick = () => {
    const p = points[indexOf(points, app.at)]
    if (!p?.id) return
    const branch = app.branch
    void act($<HTMLButtonElement>('restore'), () => app.db.restore(p.id!, { branch }), (c) => `restored ${describe(p)} as the head of ${branch} (commit #${c.generation}; Undo goes back)`).then(() => {
      app.select(undefined)
      sampleSoon()
    })
  }
  $('branch-here').onclick = () => void branchFrom(points[indexOf(points, app.at)])
  $('snap').onclick = () => void takeSnapshot()
  document.addEventListener('keydown', (e) => {
    const typing = e.target instanceof HTMLElement && (e.target.matches('input:not([type=range]), textarea, select') || e.target.isContentEditable)
    if (document.querySelector('dialog[open]')) return
    if (e.key === 'Escape' && app.at !== undefined && !typing) return app.select(undefined)
    if (typing || !(e.ctrlKey || e.metaKey) || (e.key.toLowerCase() !== 'z' && e.key.toLowerCase() !== 'y')) return
    e.preventDefault()
    move(e.key.toLowerCase() === 'y' || e.shiftKey ? 'redo' : 'undo')
  })
  app.on(['catalog', 'select'], rebuild)
  setInterval(() => points.length && drawWhere(), 15_000) // "3 min ago" stays true
}

/** Asks for a label (unless given) and snapshots the head of the current branch. Cost: O(1) in the engine. */
export async function takeSnapshot(label?: string): Promise<void> {
  const branch = app.branch
  const text =
    label ??
    (await ask({ title: `Snapshot the head of ${branch}`, body: 'A name for the current state: O(1), a root pointer. It stays until you drop it.', confirm: 'Take snapshot', input: { label: 'Label (optional)', placeholder: 'before the big import' } }))
  if (text === undefined) return
  await act(null, () => app.db.snapshot({ label: text.trim() || undefined, branch }), (s) => `took snapshot ${s.label ? `“${s.label}”` : s.id} of ${branch} at commit #${num(s.generation)}`)
  sampleSoon()
}
