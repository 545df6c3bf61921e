// The sync server's HTTP surface (the routes are listed in ../protocol.ts). Every route but
// /health checks the bearer token first and reads or writes nothing when it is refused; bodies
// are read only up to the route's limit (413 past it); a malformed body is a 400 that changes
// nothing, since a change set is parsed and checked whole before its transaction begins.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import {
  BadRequest,
  DEFAULT_LIMITS,
  decodeChangeSet,
  encodePullPage,
  encodeStatePage,
  encodeStateValue,
  fromBase64Url,
  checkKey,
  validDbName,
  validPushId,
  type Limits,
} from '../protocol.js'
import type { Access, Authorize } from './auth.js'
import { LiveHub } from './live.js'
import { migrate } from './schema.js'
import { openSql, type Sql, type SqlConfig } from './sql.js'
import { SyncStore } from './store.js'

export type SyncServerOptions = {
  /** Where the data lives: `{ postgres: url }`, `{ dataDir }` (PGlite), or an open Sql. Default: PGlite in memory. */
  store?: SqlConfig | Sql
  /** Decides each request (see auth.ts). Required: a server without one would serve anyone. */
  authorize: Authorize
  limits?: Partial<Limits>
  /** Origins allowed to call from a browser (CORS): '*' (default) or a list. */
  origins?: '*' | string[]
  /** How often the live channel polls the heads besides LISTEN/NOTIFY. Default 2,000 ms. */
  pollMs?: number
}

export type SyncServer = {
  /** Starts listening; resolves to the base URL (`http://host:port`). */
  listen(port?: number, host?: string): Promise<string>
  /** Stops accepting, ends live streams, closes the store. */
  close(): Promise<void>
  readonly store: SyncStore
  readonly http: Server
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Creates a sync server: runs the schema migrations, then serves. Cost: opening the store. */
export async function createSyncServer(opts: SyncServerOptions): Promise<SyncServer> {
  if (typeof opts.authorize !== 'function') throw new TypeError('cowdb-sync: createSyncServer needs an authorize function (see staticTokens, signedTokens)')
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits }
  const sql = opts.store && 'query' in opts.store ? opts.store : await openSql(opts.store ?? {})
  await migrate(sql)
  const store = new SyncStore(sql, limits)
  await store.dropStaleParts()
  const hub = new LiveHub(store, opts.pollMs ?? 2000)
  await hub.start()
  const origins = opts.origins ?? '*'

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin
    if (origin && (origins === '*' || origins.includes(origin))) {
      res.setHeader('access-control-allow-origin', origins === '*' ? '*' : origin)
      res.setHeader('access-control-expose-headers', 'content-type')
      if (origins !== '*') res.setHeader('vary', 'origin')
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-methods': 'GET, POST, PUT', 'access-control-allow-headers': 'authorization, content-type', 'access-control-max-age': '600' })
      return void res.end()
    }
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/health') return json(res, 200, { ok: true })
    const m = /^\/db\/([^/]+)\/(push\/([^/]+)(?:\/parts\/(\d+))?|pull|head|live|state)$/.exec(url.pathname)
    if (!m) throw new HttpError(404, 'no such route')
    const db = decodeURIComponent(m[1]!)
    if (!validDbName(db)) throw new HttpError(404, 'no such database name')
    const route = m[2]!.startsWith('push') ? 'push' : m[2]!
    const access: Access = route === 'push' ? 'write' : 'read'
    const wantMethod = route === 'push' ? (m[4] !== undefined ? 'PUT' : 'POST') : 'GET'
    if (req.method !== wantMethod) throw new HttpError(405, `use ${wantMethod}`)
    await authorize(req, db, access)
    const q = (name: string) => url.searchParams.get(name) ?? undefined

    if (route === 'push') {
      const pushId = m[3]!
      if (!validPushId(pushId)) throw new BadRequest('a push id is 8 to 64 characters of [A-Za-z0-9_-]')
      if (m[4] !== undefined) {
        const idx = Number(m[4])
        if (idx >= Math.ceil(limits.changeSetBytes / limits.partBytes)) throw new HttpError(413, 'too many parts')
        await store.stagePart(db, pushId, idx, await body(req, limits.partBytes))
        res.writeHead(204)
        return void res.end()
      }
      let bytes: Uint8Array
      if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
        const commit = parseJson(await body(req, limits.jsonBytes)) as { parts?: unknown; bytes?: unknown; sha256?: unknown }
        const parts = commit.parts
        if (!Number.isSafeInteger(parts) || (parts as number) < 1 || typeof commit.sha256 !== 'string' || !Number.isSafeInteger(commit.bytes)) {
          throw new BadRequest('a commit of parts is { parts, bytes, sha256 }')
        }
        const done = await store.committed(db, pushId)
        if (done !== undefined) return json(res, 200, { seq: done, duplicate: true })
        bytes = await store.stagedParts(db, pushId, parts as number)
        if (bytes.length !== commit.bytes || createHash('sha256').update(bytes).digest('hex') !== commit.sha256) throw new BadRequest('the parts do not add up to the change set announced (bytes or sha256 differ)')
      } else {
        bytes = await body(req, limits.partBytes)
      }
      const cs = decodeChangeSet(bytes, limits)
      const out = await store.push(db, pushId, cs, bytes.length)
      if (!out.duplicate) hub.announce(db, out.seq)
      return json(res, 200, out)
    }
    if (route === 'head') return json(res, 200, { seq: await store.head(db), partBytes: limits.partBytes })
    if (route === 'live') return hub.open(db, res, await store.head(db))
    if (route === 'pull') {
      const from = int(q('from'), 'from') ?? 1
      const page = await store.pull(db, Math.max(1, from), int(q('idx'), 'idx') ?? 0, int(q('offset'), 'offset') ?? 0, int(q('upTo'), 'upTo'), int(q('max'), 'max') ?? limits.pageBytes)
      return binary(res, encodePullPage(page))
    }
    // state
    const at = int(q('at'), 'at')
    const keyParam = q('key')
    if (keyParam !== undefined) {
      const key = fromBase64Url(keyParam)
      checkKey(key)
      return binary(res, encodeStateValue(await store.stateValue(db, key, at)))
    }
    const bound = (name: string) => {
      const v = q(name)
      if (v === undefined) return undefined
      const k = fromBase64Url(v)
      checkKey(k)
      return k
    }
    const limit = Math.min(int(q('limit'), 'limit') ?? 1000, 10_000)
    const page = await store.statePage(db, { at, gte: bound('gte'), lt: bound('lt'), after: bound('after'), afterOffset: int(q('afterOffset'), 'afterOffset') ?? 0, limit: Math.max(1, limit) })
    return binary(res, encodeStatePage(page))
  }

  const authorize = async (req: IncomingMessage, db: string, access: Access) => {
    const h = req.headers.authorization ?? ''
    const token = /^Bearer\s+(\S+)$/i.exec(h)?.[1]
    if (!token) throw new HttpError(401, 'missing bearer token (Authorization: Bearer <token>)')
    const verdict = await opts.authorize({ token, db, access, headers: req.headers })
    if (verdict === true) return
    throw verdict === 403 ? new HttpError(403, `this token does not grant ${access} on ${db}`) : new HttpError(401, 'invalid token')
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : e instanceof BadRequest ? 400 : 500
      if (status === 500) console.error('cowdb-sync:', e)
      if (res.headersSent) return void res.destroy()
      if (status === 401) res.setHeader('www-authenticate', 'Bearer')
      // a refused request may still be sending its body: answer, then close the connection
      if (!req.complete) res.setHeader('connection', 'close')
      json(res, status, { error: status === 500 ? 'internal error' : (e as Error).message })
      if (!req.complete) req.resume()
    })
  })
  http.requestTimeout = 120_000
  // idle connections stay open longer than clients keep them (undici: 4 s), so a client never
  // sends on a socket the server is closing at that moment (ECONNRESET)
  http.keepAliveTimeout = 65_000
  http.headersTimeout = 66_000

  return {
    store,
    http,
    listen: (port = 0, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        http.once('error', reject)
        http.listen(port, host, () => resolve(`http://${host}:${(http.address() as AddressInfo).port}`))
      }),
    async close() {
      await hub.stop()
      http.closeAllConnections()
      await new Promise<void>((r) => http.close(() => r()))
      await sql.close()
    },
  }
}

function json(res: ServerResponse, status: number, v: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(v))
}

function binary(res: ServerResponse, bytes: Uint8Array): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', 'content-length': bytes.length })
  res.end(bytes)
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  if (!/^\d{1,15}$/.test(v)) throw new BadRequest(`${name} must be a non-negative integer`)
  return Number(v)
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    throw new BadRequest('the body is not JSON')
  }
}

/** Reads a request body of at most `max` bytes; 413 (without reading on) past it. */
async function body(req: IncomingMessage, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'])
  if (declared > max) throw new HttpError(413, `the body is over ${max} bytes`)
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length
    if (n > max) throw new HttpError(413, `the body is over ${max} bytes`)
    chunks.push(c)
  }
  return new Uint8Array(Buffer.concat(chunks))
}
