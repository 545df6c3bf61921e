// The page format's constants (page.ts lays the format out and reads and writes it). Apart, so
// that a reader of published pages (page-read.ts, on the browser's main thread) needs nothing else.

export const MAGIC = 0xc0db
export const enum PageType {
  Branch = 1,
  Leaf = 2,
  OverflowData = 3,
  OverflowIndex = 4,
}
/** Leaf entry and separator flags: the key (or the value) is an overflow pointer, not inline. */
export const KEY_OVERFLOW = 1
export const VALUE_OVERFLOW = 2
/** The slot of "no page" (an overflow index page's last `next`, a child published before it has a slot). */
export const NO_SLOT = 0xffffffff
