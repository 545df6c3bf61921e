// The timeline of one head: its history entries (one per commit, kept by retention) and the named
// snapshots taken on it, oldest first, then "now" (the head itself). Pure functions of the catalog.
import type { BranchInfo, SnapshotInfo } from '@cowdb/browser'
import type { Catalog } from './app.ts'

export type PointKind = 'history' | 'named' | 'backup' | 'head'
export type Point = {
  /** Snapshot id; undefined for the head. */
  id: string | undefined
  kind: PointKind
  label: string
  root: number
  generation: number
  createdAt: number
  /** A history entry after the head's place in history: undone, and redo() brings it back. */
  undone: boolean
}

const isBackup = (s: SnapshotInfo) => s.label === 'backup' || (s.label?.startsWith('backup:') ?? false)
const branchOf = (s: SnapshotInfo) => s.branch ?? 'main'

/** The points of `branch`, oldest first, the head last. Cost: O(snapshots log snapshots). */
export function pointsOf(catalog: Catalog, branch: string): Point[] {
  const head: BranchInfo | undefined = [...catalog.branches, ...catalog.tenants].find((b) => b.name === branch)
  const mine = catalog.snapshots.filter((s) => branchOf(s) === branch).sort((a, b) => (a.id < b.id ? -1 : 1))
  const history = mine.filter((s) => s.kind === 'history')
  // history[undoable] is where the head is; entries after it are undone
  const firstUndone = head && head.redoable > 0 ? history.length - head.redoable : Infinity
  const points: Point[] = mine.map((s) => {
    const at = s.kind === 'history' ? history.indexOf(s) : -1
    const kind: PointKind = s.kind === 'history' ? 'history' : isBackup(s) ? 'backup' : 'named'
    return {
      id: s.id,
      kind,
      label: kind === 'history' ? `commit #${s.generation}` : s.label ? s.label : 'snapshot',
      root: s.root,
      generation: s.generation,
      createdAt: s.createdAt,
      undone: at >= firstUndone,
    }
  })
  points.push({ id: undefined, kind: 'head', label: 'now', root: head?.root ?? 0, generation: head?.generation ?? 0, createdAt: Date.now(), undone: false })
  return points
}

/** Index of the point with snapshot id `id` (undefined: the head, the last one); -1 if gone. Cost: O(points). */
export function indexOf(points: Point[], id: string | undefined): number {
  return id === undefined ? points.length - 1 : points.findIndex((p) => p.id === id)
}

/**
 * The point the viewed one is compared with: in 'previous' mode the nearest earlier point with
 * another root (what the viewed commit changed), in 'head' mode the head (what it would take to
 * go back there). Undefined when there is none. Cost: O(points).
 */
export function comparedWith(points: Point[], index: number, mode: 'previous' | 'head'): Point | undefined {
  const p = points[index]
  if (!p) return undefined
  if (mode === 'head') return p.kind === 'head' ? undefined : points[points.length - 1]
  for (let i = index - 1; i >= 0; i--) if (points[i]!.root !== p.root) return points[i]
  return undefined
}

/** The newest point of the head's own state that is a snapshot (to branch from "now"). Cost: O(points). */
export function snapshotOfHead(points: Point[]): Point | undefined {
  const head = points[points.length - 1]!
  for (let i = points.length - 2; i >= 0; i--) if (points[i]!.root === head.root && points[i]!.id) return points[i]
  return undefined
}
