// Tenants in the playground: the Tenants group of the heads card (each with its key count, its own
// snapshots, its retention and the bytes only it holds), and making one: empty, or, while the page
// works on a tenant, an O(1) clone of it at its head or at the viewed point. Working on a tenant is
// switching to it like to a branch: the timeline, data and diff then show its own stream only.
import type { TenantInfo } from '@cowdb/browser'
import { app } from './app.ts'
import { countKeys } from './counts.ts'
import { ask } from './dialog.ts'
import { act } from './feedback.ts'
import { bytes, plural } from './format.ts'
import type { HeadGroup } from './heads.ts'
import { sampleSoon } from './live.ts'
import type { Point } from './points.ts'

/** The Tenants group; `keys` is the heads card's key counts by head (for the drop confirmation). */
export function tenantsGroup(keys: Map<string, number>): HeadGroup {
  return {
    title: 'Tenants',
    noun: 'tenant',
    dropBody: (n) => `Its head (${plural(n, 'key')}), its history and every snapshot of it go; pages only it reached are freed by the background garbage collection.`,
    async rows() {
      const list: TenantInfo[] = app.catalog.tenants
      const counts = await Promise.all(list.map((t) => countKeys({}, { branch: t.name })))
      list.forEach((t, i) => keys.set(t.name, counts[i]!))
      return list.map((t, i) => ({
        name: t.name,
        detail: `${plural(counts[i]!, 'key')} · ${plural(t.snapshots, 'snapshot')} · ${plural(t.history, 'commit')} kept (keepLast ${t.retention.keepLast}, ${t.ownRetention ? 'its own' : "the database's"}) · ${bytes(t.bytes ?? 0)} its own`,
        current: t.name === app.branch,
        droppable: true,
      }))
    },
    drop: (name) => app.db.dropTenant(name),
  }
}

/**
 * Asks for a name and makes a tenant: a clone of the tenant the page works on (at `from`, a point
 * of its timeline, or its head), or an empty one. The page works on it then. Cost: O(1) in the engine.
 */
export async function newTenant(from: Point | undefined, describe: (p: Point) => string = (p) => p.label): Promise<void> {
  const origin = app.isTenant(app.branch) ? app.branch : undefined
  const taken = new Set(app.heads.map((b) => b.name))
  const name = await ask({
    title: origin ? `New tenant: a clone of ${origin} at ${from?.id ? describe(from) : 'its head'}` : 'New tenant',
    body: origin
      ? 'It shares every page with where it starts (O(1), nothing copied until one of them writes), and starts its own snapshot stream: it never sees the snapshots of another tenant.'
      : 'An isolated head: its own data, its own snapshots and undo history, its own retention; it never sees the snapshots of another tenant.',
    confirm: 'Create tenant',
    input: {
      label: 'Tenant name',
      placeholder: 'acme',
      validate: (v) => (!v.trim() ? 'Give it a name.' : v.trim() === 'main' ? '“main” is the main head.' : taken.has(v.trim()) ? `“${v.trim()}” exists already.` : undefined),
    },
  })
  if (name === undefined) return
  const trimmed = name.trim()
  const made = await act(
    null,
    () => app.db.createTenant(trimmed, origin ? { from: { tenant: origin, ...(from?.id ? { snapshot: from.id } : {}) } } : {}),
    () => `made tenant ${trimmed}${origin ? ` (a clone of ${origin}, no page copied)` : ''}; the page works on it now`,
  )
  if (!made) return
  app.switchBranch(trimmed)
  sampleSoon()
}
