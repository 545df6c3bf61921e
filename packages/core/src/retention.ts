// Retention, set and read: the database's (every head without its own follows it), or with
// `{ branch }` that head's own (a tenant's, say). A change is one WAL record in the writers' line
// (the Retention record, with the head's name when it is a head's own); streams.ts keeps both
// and saves them in the Meta.

import type { Catalog } from './catalog.js'
import { branchOf, retentionPolicy, type RetentionPolicy } from './heads.js'
import { RecordType } from './records.js'
import type { Retention, WriteOptions } from './types.js'
import type { Writer } from './writer.js'

/** The head `opts` names (undefined: the database's retention), checked to exist. */
function headIn(catalog: Catalog, opts: WriteOptions | undefined): string | undefined {
  return opts?.branch === undefined ? undefined : catalog.headOf(branchOf(opts)).name
}

/** The retention `opts.branch` follows, or the database's. SnapshotNotFoundError for a head that is not there. Cost: O(1). */
export function retentionOf(catalog: Catalog, opts: WriteOptions | undefined): RetentionPolicy {
  const head = headIn(catalog, opts)
  return { ...(head === undefined ? catalog.retention : catalog.streams.policyOf(head)) }
}

/**
 * Sets the database's retention, or `opts.branch`'s own; the fields not given keep the values of
 * the retention it follows now. Turning history off drops the history kept. Cost: one WAL flush.
 */
export function setRetentionOf(catalog: Catalog, writer: Writer, retention: Retention, opts: WriteOptions | undefined): Promise<void> {
  const branch = headIn(catalog, opts)
  const policy = retentionPolicy(retention, retentionOf(catalog, opts))
  return writer.logged(
    () => branch === undefined || catalog.headOf(branch),
    () => writer.durablyLog({ type: RecordType.Retention, policy, ...(branch === undefined ? {} : { branch }) }, () => catalog.setRetention(policy, branch)),
  )
}
