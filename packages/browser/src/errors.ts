// Errors only the browser client throws, on the main thread, when it cannot get a worker to serve.

import { CowdbError } from '@cowdb/core/errors'

/**
 * The worker did not start: its script failed to load (a 404, a wrong MIME type, a syntax error)
 * or it never answered. The message says what to check; `url` names the script when known.
 */
export class WorkerError extends CowdbError {
  constructor(
    message: string,
    readonly url?: string,
  ) {
    super(message)
  }
}

/** The browser lacks something cowdb needs; `missing` names each feature (core's class: it also crosses from the worker). */
export { UnsupportedError } from '@cowdb/core/errors'
