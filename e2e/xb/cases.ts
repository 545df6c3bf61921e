// The cross-browser cases: host-side steps (tabs, reloads, closing a tab) around the page-side
// bodies of bodies.ts. Each case runs in every browser it applies to; the page store cases run
// once per store the browser can use ('auto', and the IndexedDB fallback forced where 'auto'
// picks OPFS).

import assert from 'node:assert/strict'
import * as body from './bodies.ts'
import type { BrowserName, Tab, XBrowser } from './drivers.ts'

export const PAGE = '/test/db.html'

export type Ctx = {
  browser: XBrowser
  /** A new tab on the test page. */
  tab(): Promise<Tab>
  /** Feature probe of this browser (bodies.features). */
  features: Record<string, string>
  /** Records a remark shown beside the result (a known gap, not a failure). */
  note(text: string): void
  /** Unique database name for this case. */
  db(label: string): string
}

export type Case = { name: string; only?: (b: BrowserName, f: Record<string, string>) => boolean; run(ctx: Ctx): Promise<void> }

/** The page for the next openDB: the same tab, reloaded if asked. Cost: a reload. */
async function reopenPage(_ctx: Ctx, tab: Tab, reload = false): Promise<Tab> {
  if (reload) await tab.reload()
  return tab
}

const hasOpfs = (_: BrowserName, f: Record<string, string>) => f.syncAccessHandle === 'yes'

/** The page store cases, for one `store` option; `expected` is the store stats() must report. */
function storeCases(store: 'auto' | 'indexeddb', expected: (f: Record<string, string>) => string): Case[] {
  const tag = store === 'auto' ? 'store auto' : 'IndexedDB store forced'
  return [
    {
      name: `${tag}: open, write, snapshot, read at the snapshot, reload, read back`,
      async run(ctx) {
        const tab = await ctx.tab()
        const name = ctx.db('basic')
        const w = await tab.evaluate(body.writeAndSnapshot, { name, store })
        assert.deepEqual(w.atSnap, { i: 2, text: 'v2' })
        assert.equal(w.head ?? null, null) // deleted at head (undefined crosses as null)
        assert.equal(w.storage.store, expected(ctx.features))
        const again = await reopenPage(ctx, tab, true)
        const r = await again.evaluate(body.readBack, { name, store, snap: w.snap })
        assert.deepEqual(r.wrong, [])
        assert.equal(r.storage.store, expected(ctx.features))
        assert.equal(r.storage.created, false)
      },
    },
    {
      name: `${tag}: two tabs share one database, the first tab closes, the second takes over with every write`,
      async run(ctx) {
        const name = ctx.db('tabs')
        const first = await ctx.tab()
        assert.equal(await first.evaluate(body.openShared, { name, store }), 'leader')
        const second = await ctx.tab()
        assert.equal(await second.evaluate(body.openShared, { name, store }), 'follower')
        assert.equal(await first.evaluate(body.writeShared, { name, prefix: 'a', count: 100 }), 'leader')
        assert.equal(await second.evaluate(body.writeShared, { name, prefix: 'b', count: 200 }), 'follower')
        await first.close() // its worker goes with the tab: the lock passes to the second tab's worker
        const after = await second.evaluate(body.checkShared, { name })
        assert.deepEqual(after, { role: 'leader', got: [0, 99, 0, 199, 1], sawOther: true, ok: true })
      },
    },
    {
      name: `${tag}: a worker killed mid-write loses no acknowledged commit`,
      async run(ctx) {
        const tab = await ctx.tab()
        const name = ctx.db('kill')
        const acked = await tab.evaluate(body.killMidWrite, { name, store })
        const r = await (await reopenPage(ctx, tab)).evaluate(body.checkAfterKill, { name, store, acked })
        assert.ok(r.acked >= 150, `acked ${r.acked}`)
        assert.equal(r.lost, 0)
        assert.ok(r.count >= r.acked + 1, `count ${r.count} < acked ${r.acked} + 1`)
        assert.equal(r.ok, true)
        assert.equal(r.store, expected(ctx.features))
      },
    },
    {
      name: `${tag}: values read back as the browser's structuredClone makes them`,
      async run(ctx) {
        const tab = await ctx.tab()
        const r = await tab.evaluate(body.valuesDifferential, { name: ctx.db('values'), store, seed: 42 })
        assert.deepEqual(r.mismatches, [])
        assert.ok(r.checked > 150, JSON.stringify(r))
        assert.ok(['DataCloneError', 'TypeError'].includes(r.refused) && r.trace === null, JSON.stringify(r))
        if (r.refusedKinds.length || r.refused !== 'DataCloneError') ctx.note(`engine refuses ${r.refusedKinds.join(', ')}; a function is refused with ${r.refused}`)
      },
    },
    {
      name: `${tag}: keys scan in the browser's indexedDB.cmp order`,
      async run(ctx) {
        const tab = await ctx.tab()
        const r = await tab.evaluate(body.keysDifferential, { name: ctx.db('keys'), store, seed: 7 })
        assert.equal(r.firstDiff, null)
        if (!r.dates) ctx.note('engine refuses Date keys: tested without them')
        assert.ok(r.same && r.reverseSame && r.distinct > 250, JSON.stringify(r))
      },
    },
  ]
}

const opfsOrIdb = (f: Record<string, string>) => (f.syncAccessHandle === 'yes' ? 'opfs' : 'indexeddb')

export const CASES: Case[] = [
  ...storeCases('auto', opfsOrIdb),
  ...storeCases('indexeddb', () => 'indexeddb').map((c) => ({ ...c, only: hasOpfs })),
  {
    name: 'partial clearing: OPFS files deleted, IndexedDB kept → StorageLostError (pages), deleteDB starts over',
    only: hasOpfs,
    async run(ctx) {
      const tab = await ctx.tab()
      const name = ctx.db('lost-opfs')
      assert.equal((await tab.evaluate(body.fillForClearing, { name })).store, 'opfs')
      await tab.evaluate(body.clearParts, { name, opfs: true, idb: false })
      const r = await tab.evaluate(body.tryOpen, { name })
      assert.equal(r.opened, false)
      assert.deepEqual([r.name, r.typed, r.lost], ['StorageLostError', true, 'pages'])
      assert.match(String(r.message), /OPFS files .* are gone .* deleteDB/)
      // recover cannot bring pages back: it still fails, typed
      assert.equal((await tab.evaluate(body.tryOpen, { name, recover: true })).name, 'StorageLostError')
      assert.deepEqual(await tab.evaluate(body.startOver, { name }), { count: 0, created: true })
    },
  },
  {
    name: 'partial clearing: IndexedDB deleted, OPFS kept → StorageLostError (snapshot table), recover: true brings back every commit',
    only: hasOpfs,
    async run(ctx) {
      const tab = await ctx.tab()
      const name = ctx.db('lost-idb')
      const filled = await tab.evaluate(body.fillForClearing, { name })
      await tab.evaluate(body.clearParts, { name, opfs: false, idb: true })
      const r = await tab.evaluate(body.tryOpen, { name })
      assert.deepEqual([r.opened, r.name, r.typed, r.lost], [false, 'StorageLostError', true, 'snapshot-table'])
      assert.match(String(r.message), /recover: true/)
      const again = await tab.evaluate(body.tryOpen, { name }) // nothing changed by the failed open
      assert.equal(again.name, 'StorageLostError')
      const rec = await tab.evaluate(body.tryOpen, { name, recover: true })
      assert.equal(rec.opened, true, JSON.stringify(rec))
      assert.deepEqual([rec.count, rec.walKeys, rec.snapshots, rec.ok], [550, 50, ['kept'], true])
      assert.ok(filled.snap)
    },
  },
  {
    name: 'clearing everything: a new, empty database that says it was created (stats().storage.created)',
    async run(ctx) {
      let tab = await ctx.tab()
      const name = ctx.db('lost-both')
      await tab.evaluate(body.fillForClearing, { name })
      tab = await reopenPage(ctx, tab)
      const before = await tab.evaluate(body.tryOpen, { name })
      assert.deepEqual([before.opened, before.count, before.storage?.created], [true, 550, false])
      await tab.evaluate(body.clearParts, { name, opfs: ctx.features.opfs === 'yes', idb: true })
      tab = await reopenPage(ctx, tab)
      const r = await tab.evaluate(body.tryOpen, { name })
      assert.deepEqual([r.opened, r.count, r.storage?.created], [true, 0, true])
    },
  },
  {
    name: 'storage lifecycle: persist: true answered, stats() has usage, quota, persisted; a quota event past quotaWarning',
    async run(ctx) {
      const tab = await ctx.tab()
      const r = await tab.evaluate(body.lifecycle, { name: ctx.db('lifecycle') })
      assert.ok(r.persistence === true || r.persistence === false || r.persistence === null, `persistence ${String(r.persistence)}`)
      assert.ok(typeof r.storage.persisted === 'boolean' || r.storage.persisted === null)
      if (r.persistence === true) assert.equal(r.storage.persisted, true)
      if (ctx.features.storageEstimate === 'yes') {
        assert.ok(r.storage.usage > 0 && r.storage.quota > 0, JSON.stringify(r.storage))
        assert.ok(r.event && r.event.usage > 0 && r.event.ratio >= 1e-9, `no quota event: ${JSON.stringify(r)}`)
      }
    },
  },
  {
    name: 'a second openDB in the same tab after a close opens (in WebKitGTK through a blob module: see docs/browsers.md)',
    async run(ctx) {
      const tab = await ctx.tab()
      const r = await tab.evaluate(body.reopenInPage, { name: ctx.db('reopen') })
      assert.ok(r.opened, `the second openDB failed: ${JSON.stringify(r)}`)
      assert.equal(r.value, 2)
    },
  },
  {
    name: "no OPFS sync access handles: store: 'opfs' fails with UnsupportedError naming OPFS (no hang)",
    only: (b, f) => !hasOpfs(b, f),
    async run(ctx) {
      const tab = await ctx.tab()
      const r = await tab.evaluate(body.demandOpfs, { name: ctx.db('no-opfs') })
      assert.deepEqual([r.opened, r.name, r.typed], [false, 'UnsupportedError', true])
      assert.match(String(r.message), /OPFS/)
    },
  },
]
