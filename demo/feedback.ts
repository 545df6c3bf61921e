// What the last action did, in one line that goes away: a toast in a live region (screen readers
// hear it), replaced by the next message, dismissed by a click or Escape. Errors stay longer.
import { $, h } from './dom.ts'

type Kind = 'ok' | 'info' | 'error'
const LINGER_MS: Record<Kind, number> = { ok: 4000, info: 4000, error: 9000 }
let timer: ReturnType<typeof setTimeout> | undefined

/** Shows `text` (what just happened) for a few seconds. Cost: O(1). */
export function say(text: string, kind: Kind = 'ok'): void {
  const box = $('toast')
  clearTimeout(timer)
  box.replaceChildren(h('span', { class: 'toast-text' }, text), h('button', { class: 'toast-close', 'aria-label': 'dismiss', onclick: hide }, '×'))
  box.className = `toast ${kind}`
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status')
  box.hidden = false
  timer = setTimeout(hide, LINGER_MS[kind])
}

/** Shows a failed call's error class and message. Cost: O(1). */
export function fail(e: unknown): void {
  const err = e as Error
  say(err && err.name ? `${err.name}: ${err.message}` : String(e), 'error')
}

/** Hides the message now. Cost: O(1). */
export function hide(): void {
  clearTimeout(timer)
  $('toast').hidden = true
}

/**
 * Runs an action for a button: disables it meanwhile, says what it did (the text `done`
 * returns), or the error. Cost: the action's.
 */
export async function act<T>(button: HTMLButtonElement | null, run: () => Promise<T>, done: (r: T) => string | undefined): Promise<T | undefined> {
  if (button) button.disabled = true
  try {
    const r = await run()
    const text = done(r)
    if (text) say(text)
    return r
  } catch (e) {
    fail(e)
    return undefined
  } finally {
    if (button) button.disabled = false
  }
}

/** Escape dismisses the message (unless a dialog is open: Escape is its own). Cost: O(1). */
export function installFeedback(): void {
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('toast').hidden && !document.querySelector('dialog[open]')) hide()
  })
}
