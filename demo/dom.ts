// Small DOM helpers: build elements without innerHTML (values come from the database), find them by id.

type Props = Record<string, string | number | boolean | undefined | ((e: Event) => void)>
type Child = Node | string | number | null | undefined | false

/**
 * Creates `<tag>` with attributes (`class`, `aria-*`, ...), properties for `on*` handlers and
 * booleans (`hidden`, `disabled`), and children (strings become text). Cost: O(children).
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (v === true) el.setAttribute(k, '')
    else el.setAttribute(k, String(v))
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c)
  return el
}

/** The element with id `id` (the page's markup defines them all). Cost: O(1). */
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id)
  if (!el) throw new Error(`playground: no element #${id}`)
  return el as T
}

/**
 * Wraps an async refresh so that calls during a run coalesce into one more run after it, at
 * most every `minGapMs` and with at least twice its last duration between runs (a card that
 * takes 100 ms to redraw on a large store spends at most a third of the time on it): a
 * burst of commits redraws a card a few times, not once per commit. `busy` (a card) carries
 * aria-busy while a redraw is due, so a card that lags behind says so. Cost: O(1) per call.
 */
export function coalesce(run: () => Promise<void>, minGapMs = 0, onError: (e: unknown) => void = console.error, busy?: HTMLElement): () => void {
  let running = false
  let again = false
  let last = -Infinity
  let took = 0
  const go = async () => {
    busy?.setAttribute('aria-busy', 'true')
    if (running) return void (again = true)
    running = true
    try {
      const wait = last + Math.max(minGapMs, took * 2) - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      again = false
      last = performance.now()
      await run()
      took = performance.now() - last
    } catch (e) {
      onError(e)
    } finally {
      running = false
      if (again) void go()
      else busy?.removeAttribute('aria-busy')
    }
  }
  return () => void go()
}
