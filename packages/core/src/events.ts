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

/** `close`: the database was closed (by the application, a takeover, or a fatal error). */
export class DatabaseCloseEvent extends Event {
  constructor(readonly reason?: Error) {
    super('close')
  }
}
