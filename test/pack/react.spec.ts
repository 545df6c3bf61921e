// @cowdb/react from its tarball in a Vite app (React from the registry), in Chromium: a write made
// in another tab re-renders useValue and useScan in this one; a write outside the scanned range
// renders nothing; an undo re-renders too. The app counts its renders.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { makeApp, npmInstall, origin, serve, sh, tarball, tools } from './apps'
import { collectErrors, expect, test } from '../../e2e/fixtures'

const MAIN = `import { createElement as h, useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { openDB } from '@cowdb/browser'
import { useScan, useValue } from '@cowdb/react'

window.renders = { value: 0, scan: 0 }
function Title({ db }) {
  const title = useValue(db, 'title')
  window.renders.value++
  return h('p', { id: 'title', 'data-status': title.status }, String(title.value ?? '(none)'))
}
function Todos({ db }) {
  const todos = useScan(db, { gte: 'todo:', lt: 'todo;' })
  window.renders.scan++
  return h('ul', { id: 'todos', 'data-status': todos.status }, (todos.value ?? []).map(([k, v]) => h('li', { key: k }, v.text)))
}
function App() {
  const [db, setDb] = useState(null)
  useEffect(() => {
    openDB('react-app', { retention: { keepLast: 20 } }).then((d) => { window.db = d; setDb(d) })
  }, [])
  return h('main', null, h(Title, { db }), h(Todos, { db }))
}
createRoot(document.getElementById('root')).render(h(App))
`

async function ready(page: Page) {
  await page.goto(origin)
  await expect(page.locator('#title')).toHaveAttribute('data-status', 'ready')
  await expect(page.locator('#todos')).toHaveAttribute('data-status', 'ready')
}
const renders = (page: Page) => page.evaluate(() => ({ ...(window as unknown as { renders: { value: number; scan: number } }).renders }))
const write = (page: Page, fn: string) => page.evaluate(`(async () => { const db = window.db; ${fn} })()`)

test('useValue and useScan re-render on a write from another tab, and only for their keys', async ({ context, page }) => {
  const app = makeApp('react', {
    'package.json': JSON.stringify({ name: 'cowdb-react-app', private: true, type: 'module' }),
    'index.html': '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><div id="root"></div><script type="module" src="/src/main.js"></script></body></html>\n',
    'src/main.js': MAIN,
  })
  try {
    expect(npmInstall(app, [tarball('core'), tarball('browser'), tarball('react'), 'react@19', 'react-dom@19'])).toEqual([])
    sh(process.execPath, [tools.vite, 'build'], { cwd: app })
    const server = await serve(join(app, 'dist'))
    try {
      const errors = collectErrors(page)
      await ready(page)
      await expect(page.locator('#title')).toHaveText('(none)')
      const other = await context.newPage() // a second tab of the same app: it shares the database
      await ready(other)

      await write(other, `await db.put('title', 'Groceries')`)
      await expect(page.locator('#title')).toHaveText('Groceries')
      await write(other, `await db.batch([{ type: 'put', key: 'todo:1', value: { text: 'milk' } }, { type: 'put', key: 'todo:2', value: { text: 'eggs' } }])`)
      await expect(page.locator('#todos li')).toHaveText(['milk', 'eggs'])

      // a write outside both ranges: no read, no render
      const before = await renders(page)
      await write(other, `await db.put('note:1', 'elsewhere'); await db.put('todo;after', { text: 'outside' })`)
      await write(page, `await db.get('note:1')`) // a round trip after the writes, so their events have been delivered
      expect(await renders(page)).toEqual(before)

      await write(other, `await db.undo(); await db.undo(); await db.undo()`) // back past both writes and the batch
      await expect(page.locator('#todos li')).toHaveCount(0)
      await expect(page.locator('#title')).toHaveText('Groceries')
      await write(page, `await db.undo()`)
      await expect(page.locator('#title')).toHaveText('(none)')
      await expect(other.locator('#title')).toHaveText('(none)') // and the other way round
      expect(errors).toEqual([])
    } finally {
      await server.close()
    }
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})
