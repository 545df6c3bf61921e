// The heads the page can work on, in groups: branches, and tenants (tenants.ts: isolated heads,
// each with its own snapshot stream). A HeadGroup lists its heads and says what can be done with
// one, and the card and the header menu draw every group the same way.
import type { BranchInfo } from '@cowdb/browser'
import { app } from './app.ts'
import { countKeys } from './counts.ts'
import { ask } from './dialog.ts'
import { $, coalesce, h } from './dom.ts'
import { act, fail } from './feedback.ts'
import { num, plural } from './format.ts'
import { sampleSoon } from './live.ts'
import { newTenant, tenantsGroup } from './tenants.ts'
import { branchFrom } from './timeline.ts'

export type HeadRow = { name: string; detail: string; current: boolean; droppable: boolean }
export type HeadGroup = {
  title: string
  /** What one head of the group is called ('branch', 'tenant'). */
  noun: string
  /** What dropping one does, for the confirmation (`keys`: its key count). */
  dropBody(keys: number): string
  rows(): Promise<HeadRow[]>
  drop(name: string): Promise<void>
}

const keys = new Map<string, number>()

/** Branches: main first, then by name; each with its key count and history. */
const branches: HeadGroup = {
  title: 'Branches',
  noun: 'branch',
  dropBody: (n) => `Its head (${plural(n, 'key')}) and its history go; pages only it reached are freed by the next garbage collection.`,
  async rows() {
    const list: BranchInfo[] = app.catalog.branches
    const counts = await Promise.all(list.map((b) => countKeys({}, { branch: b.name })))
    list.forEach((b, i) => keys.set(b.name, counts[i]!))
    return list.map((b, i) => ({
      name: b.name,
      detail: `${plural(counts[i]!, 'key')} · ${plural(b.history, 'commit')} kept · ${num(b.undoable)} undo · ${num(b.redoable)} redo`,
      current: b.name === app.branch,
      droppable: b.name !== 'main',
    }))
  },
  drop: (name) => app.db.dropBranch(name),
}

/** Every group of heads. */
export const groups: HeadGroup[] = [branches, tenantsGroup(keys)]

async function draw(): Promise<void> {
  if (!app.shows('history')) return // counting every branch's keys is O(keys): only when seen
  const box = $('heads')
  const sections = await Promise.all(
    groups.map(async (g) => {
      const rows = await g.rows()
      return h(
        'section',
        { class: 'head-group', 'aria-label': g.title },
        groups.length > 1 ? h('h3', { class: 'head-group-title' }, g.title) : null,
        h(
          'ul',
          { class: 'list heads' },
          ...rows.map((r) =>
            h(
              'li',
              { class: r.current ? 'on' : '' },
              h('span', { class: 'item-main' }, h('b', {}, r.name), r.current ? h('span', { class: 'tag head' }, 'working on') : null, h('span', { class: 'muted small' }, r.detail)),
              h(
                'span',
                { class: 'item-actions' },
                h('button', { class: 'ghost tiny', disabled: r.current, onclick: () => app.switchBranch(r.name) }, r.current ? 'current' : 'switch'),
                r.droppable
                  ? h('button', {
                      class: 'ghost tiny danger',
                      'aria-label': `drop ${g.noun} ${r.name}`,
                      onclick: async () => {
                        const yes = await ask({ title: `Drop ${g.noun} ${r.name}?`, body: g.dropBody(keys.get(r.name) ?? 0), confirm: `Drop ${g.noun}`, danger: true })
                        if (yes === undefined) return
                        if (app.branch === r.name) app.switchBranch('main')
                        await act(null, () => g.drop(r.name), () => `dropped ${g.noun} ${r.name}`)
                        sampleSoon()
                      },
                    }, 'drop')
                  : null,
              ),
            ),
          ),
        ),
      )
    }),
  )
  box.replaceChildren(...sections)
}

/** The header's menu of heads. */
function drawMenu(): void {
  const select = $<HTMLSelectElement>('branch-select')
  const names = app.heads.map((b) => b.name)
  if (!names.includes(app.branch)) names.push(app.branch)
  select.replaceChildren(...names.map((n) => h('option', { value: n, selected: n === app.branch }, n)))
}

/** Wires the card and the header menu. Cost: O(1). */
export function wireHeads(): void {
  $<HTMLSelectElement>('branch-select').addEventListener('change', (e) => app.switchBranch((e.target as HTMLSelectElement).value))
  $('new-branch').onclick = () => void branchFrom(undefined)
  $('new-tenant').onclick = () => void newTenant(undefined)
  const redraw = coalesce(draw, 1000, fail) // counting keys is O(keys): at most once a second
  app.on(['catalog', 'select'], () => {
    drawMenu()
    redraw()
  })
  app.on(['data', 'view'], redraw) // key counts move with commits
}
