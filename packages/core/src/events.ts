// The events a Database dispatches (it is an EventTarget, in the browser and in Node alike).

/**
 * `error`: a background failure the database could not recover from by retrying (checkpoints
 * failing again and again), or a failure after which writes stopped. `error` is the typed error;
 * calls that can no longer make progress reject with it too.
 */
export class DatabaseErrorEvent extends Event {
  constructor(readonly error: Error) {
    super('error')
  }
}

/** What a `catalog` event reports: which durable change of snapshots, branches, history position or retention. */
export type CatalogChange = { change: 'snapshot' | 'dropSnapshot' | 'restore' | 'move' | 'branch' | 'dropBranch' | 'tenant' | 'dropTenant' | 'retention'; branch?: string; id?: string }

/**
 * `catalog`: snapshots, branches, a head's place in its history or the retention changed (after
 * the change is durable), by any tab. Data changes reach `subscribe()` listeners instead.
 */
export class DatabaseCatalogEvent extends Event {
  readonly change: CatalogChange['change']
  readonly branch?: string
  readonly id?: string
  constructor(c: CatalogChange) {
    super('catalog')
    this.change = c.change
    if (c.branch !== undefined) this.branch = c.branch
    if (c.id !== undefined) this.id = c.id
  }
}

/** `close`: the database was closed (by the application, a takeover, or a fatal error). */
export class DatabaseCloseEvent extends Event {
  constructor(readonly reason?: Error) {
    super('close')
  }
}
