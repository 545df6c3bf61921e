// Deadlists (after ZFS's): the pages a head's writes copied away from while some of its retained
// roots (undo history, named snapshots, readers) still reach them, grouped by the youngest root
// that does. When that root goes, its group is freed, or passed down to the next root that
// still reaches each page. So space comes back the moment retention lets a root go, without a
// walk of the whole store.
//
// Why a page's holders are known without reading anything: generations are one global counter,
// and a page born at generation b and copied away from head H at generation d was in H's tree
// at exactly the generations [b, d). A root of H retained at generation r reaches it iff
// b <= r < d. That holds while the page is H's alone: a page born at or before a point where H
// shared its pages (a branch made from H or from one of its snapshots, H restored to another
// head's snapshot) is not tracked here (`sharedUpTo`); and when H's head moves back to an
// older root (restore, undo, redo), pages it had copied away may be in its tree again, so every
// group of H is dropped. What is not tracked is found by the paced gc, as before; the gc also
// removes from the groups every slot it frees, so no slot can be freed twice.

/** A page copied away from a head: its slot, and the generations it was born and copied away. */
export type Dead = { slot: number; born: number; died: number }

type HeadLists = {
  /** Pages born at or before this generation may be shared with another head: not tracked. */
  sharedUpTo: number
  /** Generations of retained roots, ascending, each with how many roots are retained there. */
  gens: number[]
  counts: Map<number, number>
  /** By the youngest retained generation that reaches them. */
  groups: Map<number, Dead[]>
}

export class DeadLists {
  private readonly heads = new Map<string, HeadLists>()

  private head(name: string): HeadLists {
    let h = this.heads.get(name)
    if (!h) this.heads.set(name, (h = { sharedUpTo: -1, gens: [], counts: new Map(), groups: new Map() }))
    return h
  }

  /** Pages of `head` born at or before this generation may be another head's too. */
  sharedUpTo(head: string): number {
    return this.heads.get(head)?.sharedUpTo ?? -1
  }

  /** Pages of `head` born at or before `generation` may be shared from now on. */
  share(head: string, generation: number): void {
    const h = this.head(head)
    h.sharedUpTo = Math.max(h.sharedUpTo, generation)
    // a page already in a group may be reached by the new sharer (a branch or clone made from a
    // snapshot that holds it): it leaves the groups, and only the gc frees it
    for (const [gen, group] of h.groups) {
      const kept = group.filter((d) => d.born > h.sharedUpTo)
      if (kept.length) h.groups.set(gen, kept)
      else h.groups.delete(gen)
    }
  }

  /** A root of `head` at `generation` is retained (a history entry, a snapshot, a reader). Cost: O(roots). */
  retain(head: string, generation: number): void {
    const h = this.head(head)
    const n = h.counts.get(generation) ?? 0
    h.counts.set(generation, n + 1)
    if (n === 0) h.gens.splice(upperIndex(h.gens, generation), 0, generation)
  }

  /**
   * A root retained at `generation` goes. When it was the last one there, its group moves to the
   * next younger root that reaches each page; the slots no root reaches any more are returned,
   * free once the next Meta no longer names the dropped root. Cost: O(group + roots).
   */
  release(head: string, generation: number): number[] {
    const h = this.heads.get(head)
    const n = h?.counts.get(generation)
    if (!h || !n) return []
    if (n > 1) {
      h.counts.set(generation, n - 1)
      return []
    }
    h.counts.delete(generation)
    h.gens.splice(upperIndex(h.gens, generation) - 1, 1)
    const group = h.groups.get(generation)
    if (!group) return []
    h.groups.delete(generation)
    const freed: number[] = []
    for (const d of group) this.place(h, d, freed)
    return freed
  }

  /**
   * A page of `head` was copied away: 'free' when no retained root reaches it, 'held' when it
   * joined a group, 'untracked' when it may be shared (the gc finds it). Cost: O(log roots).
   */
  died(head: string, d: Dead): 'free' | 'held' | 'untracked' {
    const h = this.head(head)
    if (d.born <= h.sharedUpTo) return 'untracked'
    const freed: number[] = []
    this.place(h, d, freed)
    return freed.length ? 'free' : 'held'
  }

  /** `head`'s tree may hold pages it had copied away (its head moved back), or it went: forget its groups. */
  forget(head: string): void {
    const h = this.heads.get(head)
    if (h) h.groups.clear()
  }

  /** The head is gone with all its roots. */
  drop(head: string): void {
    this.heads.delete(head)
  }

  /** After a gc: the slots it freed leave every group (they must never be freed twice). Cost: O(entries). */
  without(freed: Set<number>): void {
    this.relocate(new Map(), freed)
  }

  /**
   * After compaction: a page moved to `moves.get(slot)` is held by the same roots there; the
   * other slots in `gone` were freed and leave every group. Cost: O(entries).
   */
  relocate(moves: Map<number, number>, gone: Set<number>): void {
    for (const h of this.heads.values()) {
      for (const [gen, group] of h.groups) {
        const kept: Dead[] = []
        for (const d of group) {
          const to = moves.get(d.slot)
          if (to !== undefined) kept.push({ ...d, slot: to })
          else if (!gone.has(d.slot)) kept.push(d)
        }
        if (kept.length) h.groups.set(gen, kept)
        else h.groups.delete(gen)
      }
    }
  }

  /** Pages waiting in groups. Cost: O(groups). */
  get size(): number {
    let n = 0
    for (const h of this.heads.values()) for (const g of h.groups.values()) n += g.length
    return n
  }

  /** Puts `d` in the group of the youngest retained root in [born, died), or on `freed`. */
  private place(h: HeadLists, d: Dead, freed: number[]): void {
    const i = lowerIndex(h.gens, d.died) - 1 // the youngest retained generation below `died`
    const gen = i >= 0 ? h.gens[i]! : -1
    if (gen < d.born) {
      freed.push(d.slot)
      return
    }
    const group = h.groups.get(gen)
    if (group) group.push(d)
    else h.groups.set(gen, [d])
  }
}

/** First index whose value is >= `x` in ascending `xs`. */
function lowerIndex(xs: number[], x: number): number {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (xs[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index whose value is > `x` in ascending `xs`. */
function upperIndex(xs: number[], x: number): number {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (xs[mid]! <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}
