// Who may read or write which database. The server asks an `authorize` function on every
// request, the live channel included; an app plugs in its own (a session lookup, a JWT check)
// or uses one of the two below: a fixed token table, or tokens signed with a server secret.

import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export type Access = 'read' | 'write'

/** What the server knows of a request when it asks whether to serve it. */
export type AuthRequest = { token: string; db: string; access: Access; headers: IncomingHttpHeaders }

/**
 * true: serve it. 401: the token is not valid (unknown, expired, badly signed). 403: a valid
 * token that does not grant this access to this database. Either refusal reads and writes nothing.
 */
export type AuthResult = true | 401 | 403

export type Authorize = (req: AuthRequest) => AuthResult | Promise<AuthResult>

/** A token's grant: one database, read and write (default) or read only. */
export type Grant = { db: string; access?: 'read' | 'readwrite' }

const allows = (grant: Grant, db: string, access: Access): AuthResult => (grant.db === db && (access === 'read' || grant.access !== 'read') ? true : 403)

/** Authorizes from a fixed table token → grant (compared in constant time). Cost: O(tokens). */
export function staticTokens(table: Record<string, Grant>): Authorize {
  const entries = Object.entries(table).map(([t, g]) => [Buffer.from(t), g] as const)
  return ({ token, db, access }) => {
    const given = Buffer.from(token)
    const hit = entries.find(([t]) => t.length === given.length && timingSafeEqual(t, given))
    return hit ? allows(hit[1], db, access) : 401
  }
}

const b64 = (s: Buffer | string) => Buffer.from(s).toString('base64url')

/**
 * A token the server can check without a table: `cowdb1.<grant>.<HMAC-SHA256 of it>`, the grant
 * being { db, access, exp } (exp: ms since the epoch). Issue it from the app's own login.
 */
export function signToken(secret: string, grant: Grant & { expiresInMs?: number }): string {
  const body = b64(JSON.stringify({ db: grant.db, access: grant.access ?? 'readwrite', exp: Date.now() + (grant.expiresInMs ?? 24 * 3600_000) }))
  return `cowdb1.${body}.${b64(createHmac('sha256', secret).update(body).digest())}`
}

/** Authorizes tokens made by signToken with the same secret (401 if forged or expired). Cost: one HMAC. */
export function signedTokens(secret: string): Authorize {
  if (!secret || secret.length < 16) throw new TypeError('cowdb-sync: the token secret must be at least 16 characters')
  return ({ token, db, access }) => {
    const [tag, body, sig] = token.split('.')
    if (tag !== 'cowdb1' || !body || !sig) return 401
    const want = createHmac('sha256', secret).update(body).digest()
    const got = Buffer.from(sig, 'base64url')
    if (got.length !== want.length || !timingSafeEqual(got, want)) return 401
    let grant: Grant & { exp?: number }
    try {
      grant = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
    } catch {
      return 401
    }
    if (typeof grant.exp !== 'number' || grant.exp < Date.now() || typeof grant.db !== 'string') return 401
    return allows(grant, db, access)
  }
}
