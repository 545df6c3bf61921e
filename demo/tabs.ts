// The four views as ARIA tabs: click, or arrow keys / Home / End on the tab list; the URL's hash
// keeps the view across a reload (#explore, #history, #metrics, #engine).
import { $ } from './dom.ts'

const VIEWS = ['explore', 'history', 'metrics', 'engine'] as const
export type View = (typeof VIEWS)[number]
let shown: (view: View) => void = () => {}

/** Shows `view`; `focus` moves the keyboard focus to its tab. Cost: O(views). */
export function showView(view: View, focus = false): void {
  for (const v of VIEWS) {
    const tab = $(`tab-${v}`)
    const on = v === view
    tab.setAttribute('aria-selected', String(on))
    tab.tabIndex = on ? 0 : -1
    $(`view-${v}`).hidden = !on
    if (on && focus) tab.focus()
  }
  if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`)
  shown(view)
}

/** Wires the tab list and opens the view the URL names. Cost: O(views). */
export function wireTabs(onShow: (view: View) => void): void {
  for (const v of VIEWS) $(`tab-${v}`).addEventListener('click', () => showView(v))
  document.querySelector('[role=tablist]')!.addEventListener('keydown', (e) => {
    const k = (e as KeyboardEvent).key
    const at = VIEWS.findIndex((v) => $(`tab-${v}`).getAttribute('aria-selected') === 'true')
    const to = k === 'ArrowRight' ? (at + 1) % VIEWS.length : k === 'ArrowLeft' ? (at + VIEWS.length - 1) % VIEWS.length : k === 'Home' ? 0 : k === 'End' ? VIEWS.length - 1 : -1
    if (to < 0) return
    e.preventDefault()
    showView(VIEWS[to]!, true)
  })
  shown = onShow
  const wanted = location.hash.slice(1) as View
  showView(VIEWS.includes(wanted) ? wanted : 'explore')
}
