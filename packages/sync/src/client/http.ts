// Requests to a sync server: the bearer token on each, answers checked, failures sorted into
// the ones worth retrying (the network, 5xx, 408, 429) and the ones that are not.

/** The token, or a function giving a fresh one before each request (an app's refresh logic). */
export type TokenSource = string | (() => string | Promise<string>)

export type Remote = {
  /** The database's URL: `<server>/db/<name>`. */
  url: string
  token: TokenSource
  fetch?: typeof fetch
  /** Per-request timeout (0: none, for the live stream). Default 60 s. */
  timeoutMs?: number
}

/** The server answered with an error status; `retryable` for 5xx, 408 and 429. */
export class SyncHttpError extends Error {
  override name = 'SyncHttpError'
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
  get retryable(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429
  }
}

/** The server could not be reached (offline, refused, reset, timed out). Always retryable. */
export class SyncOfflineError extends Error {
  override name = 'SyncOfflineError'
  readonly retryable = true
}

/** Whether an error from a sync call is worth retrying later. */
export function retryable(e: unknown): boolean {
  return e instanceof SyncOfflineError || (e instanceof SyncHttpError && e.retryable)
}

/** Checks a database URL and returns it without a trailing slash. */
export function dbUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new TypeError(`cowdb-sync: not a URL: ${JSON.stringify(url)}`)
  }
  if (!/^https?:$/.test(u.protocol) || !/\/db\/[A-Za-z0-9._-]+\/?$/.test(u.pathname)) {
    throw new TypeError(`cowdb-sync: a database URL looks like https://host/db/<name>, got ${JSON.stringify(url)}`)
  }
  return url.replace(/\/$/, '')
}

/**
 * Sends one request to `<db url>/<path>` with the bearer token; resolves to the response if it
 * is 2xx, else throws SyncHttpError (with the server's message) or SyncOfflineError.
 * `signal` aborts it (the live channel). Cost: one round trip.
 */
export async function request(remote: Remote, path: string, init: RequestInit = {}, signal?: AbortSignal): Promise<Response> {
  const token = typeof remote.token === 'function' ? await remote.token() : remote.token
  const headers = new Headers(init.headers)
  headers.set('authorization', `Bearer ${token}`)
  const timeout = remote.timeoutMs === 0 ? undefined : AbortSignal.timeout(remote.timeoutMs ?? 60_000)
  let res: Response | undefined
  // every request of the protocol is idempotent, so one that failed to connect (a reused
  // connection the server had just closed) is sent again at once, before calling it offline
  for (let attempt = 0; !res; attempt++) {
    try {
      res = await (remote.fetch ?? fetch)(`${dbUrl(remote.url)}/${path}`, { ...init, headers, signal: signal && timeout ? AbortSignal.any([signal, timeout]) : (signal ?? timeout) })
    } catch (e) {
      if (signal?.aborted || timeout?.aborted || attempt >= 1) {
        if (signal?.aborted) throw e
        throw new SyncOfflineError(`cowdb-sync: ${remote.url} unreachable: ${(e as Error).message}`, { cause: e })
      }
    }
  }
  if (res.ok) return res
  let message = `${res.status} ${res.statusText}`
  try {
    const body = (await res.json()) as { error?: string }
    if (body.error) message = `${res.status}: ${body.error}`
  } catch {
    // not JSON: keep the status line
  }
  throw new SyncHttpError(res.status, `cowdb-sync: ${message}`)
}

/** request() and the body as bytes (a dropped connection mid-body is offline, not a crash). */
export async function requestBytes(remote: Remote, path: string, init?: RequestInit): Promise<Uint8Array> {
  const res = await request(remote, path, init)
  try {
    return new Uint8Array(await res.arrayBuffer())
  } catch (e) {
    throw new SyncOfflineError(`cowdb-sync: the answer from ${remote.url} broke off: ${(e as Error).message}`, { cause: e })
  }
}

/** request() and the body as JSON. */
export async function requestJson<T>(remote: Remote, path: string, init?: RequestInit): Promise<T> {
  const res = await request(remote, path, init)
  try {
    return (await res.json()) as T
  } catch (e) {
    throw new SyncOfflineError(`cowdb-sync: the answer from ${remote.url} broke off: ${(e as Error).message}`, { cause: e })
  }
}
