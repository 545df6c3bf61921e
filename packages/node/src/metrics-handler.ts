// metricsHandler(db): the engine's Prometheus text over HTTP, for node:http, express, fastify's
// raw handlers or anything else that calls `(req, res)` with Node's request and response.
// It must run in the process that owns the store: another process's open() gets LockedError.

import type { IncomingMessage, ServerResponse } from 'node:http'

/** The Prometheus text exposition format's content type (format version 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Anything with the Database's metrics(): the Node Database, or a wrapper around one. */
export type MetricsSource = {
  /** The Prometheus text exposition. Cost: the Database's metrics(): O(snapshots + heads). */
  metrics(): Promise<string>
}

export type MetricsHandlerOptions = {
  /** Serve only this path (query string ignored) and answer 404 elsewhere; default: every path. */
  path?: string
}

/**
 * A request handler that answers GET and HEAD with `db.metrics()` as Prometheus text
 * (`text/plain; version=0.0.4`), 405 for other methods, 404 off `opts.path`, and 503 with the
 * error's name and message when the database cannot answer (closed, failed). Mount it on any
 * server: `http.createServer(metricsHandler(db))` or `app.get('/metrics', metricsHandler(db))`.
 * Cost: one metrics() call per request, O(snapshots).
 */
export function metricsHandler(db: MetricsSource, opts: MetricsHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  if (!db || typeof db.metrics !== 'function') throw new TypeError('cowdb: metricsHandler() needs a database (an object with metrics())')
  if (opts.path !== undefined && (typeof opts.path !== 'string' || !opts.path.startsWith('/'))) {
    throw new TypeError(`cowdb: metricsHandler() path must start with '/', got ${JSON.stringify(opts.path)}`)
  }
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (opts.path !== undefined && path !== opts.path) return reply(res, 404, `not found: metrics are at ${opts.path}\n`)
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed: use GET\n', { Allow: 'GET, HEAD' })
    db.metrics().then(
      (text) => reply(res, 200, text, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }, req.method === 'HEAD'),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e))
        reply(res, 503, `cowdb metrics unavailable: ${err.name}: ${err.message}\n`)
      },
    )
  }
}

/** Ends the response with `body` (its length is sent even for HEAD, as GET would). */
function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}, headOnly = false): void {
  if (res.headersSent || res.writableEnded) return
  const bytes = Buffer.from(body, 'utf8')
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(bytes.length), 'Cache-Control': 'no-store', ...headers })
  res.end(headOnly ? undefined : bytes)
}
