// The example app (examples/notes) built for production from the packed tarballs, as a user who
// installed the packages would build it, and driven in two tabs of Chromium: add and edit notes,
// see them in the other tab, undo and redo, look back with the history slider and restore, reload.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { makeApp, npmInstall, origin, repo, serve, sh, tarball, tools } from './apps'
import { collectErrors, expect, test } from '../../e2e/fixtures'

/** A copy of examples/notes whose @cowdb dependencies are the tarballs (build tools: the workspace's). */
function exampleApp(): string {
  const app = makeApp('example', {})
  cpSync(join(repo, 'examples/notes'), app, { recursive: true, filter: (f) => !/node_modules|[/\\]dist$/.test(f) })
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'))
  delete pkg.devDependencies
  for (const name of Object.keys(pkg.dependencies)) if (name.startsWith('@cowdb/')) pkg.dependencies[name] = `file:${tarball(name.slice('@cowdb/'.length))}`
  pkg.dependencies['@cowdb/core'] = `file:${tarball('core')}` // what the other tarballs depend on
  writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2))
  expect(npmInstall(app, [])).toEqual([])
  return app
}

const titles = (page: Page) => page.getByTestId('note-title')

async function addNote(page: Page, title: string) {
  await page.getByTestId('new-title').fill(title)
  await page.getByTestId('add').click()
  await expect(titles(page).filter({ hasText: title })).toHaveCount(1)
}

test('the notes example from its production build: two tabs, undo/redo, history slider, reload', async ({ context, page }) => {
  const app = exampleApp()
  try {
    sh(process.execPath, [tools.vite, 'build'], { cwd: app })
    const server = await serve(join(app, 'dist'))
    try {
      const errors = collectErrors(page)
      await page.goto(origin)
      await expect(page.getByTestId('notes')).toHaveAttribute('data-status', 'ready')
      const other = await context.newPage()
      const otherErrors = collectErrors(other)
      await other.goto(origin)
      await expect(other.getByTestId('notes')).toHaveAttribute('data-status', 'ready')

      await addNote(page, 'Groceries')
      await expect(titles(other)).toHaveText(['Groceries']) // the other tab sees it
      await addNote(other, 'Call mom')
      await expect(titles(page)).toHaveText(['Groceries', 'Call mom'])
      const body = page.getByTestId('note').filter({ hasText: 'Groceries' }).getByTestId('note-body')
      await body.fill('milk, eggs')
      await body.blur()
      await expect(other.getByTestId('note').filter({ hasText: 'Groceries' }).getByTestId('note-body')).toHaveValue('milk, eggs')

      // undo in one tab: both tabs go back; redo: both come back
      await page.getByTestId('undo').click()
      await expect(other.getByTestId('note').filter({ hasText: 'Groceries' }).getByTestId('note-body')).toHaveValue('')
      await other.getByTestId('redo').click()
      await expect(body).toHaveValue('milk, eggs')

      // the slider: the first kept state (before any note), then the one with Groceries alone
      await page.getByTestId('history').fill('0')
      await expect(page.getByTestId('history-position')).toHaveText(/^1 of \d+$/)
      await expect(page.getByTestId('past-note')).toHaveCount(0)
      await page.getByTestId('history').fill('1')
      await expect(page.getByTestId('past-note')).toHaveText(['Groceries'])
      await page.getByTestId('restore').click()
      await expect(titles(page)).toHaveText(['Groceries'])
      await expect(titles(other)).toHaveText(['Groceries'])
      await other.getByTestId('undo').click() // the restore is a commit like any other
      await expect(titles(page)).toHaveText(['Groceries', 'Call mom'])

      await page.reload()
      await expect(titles(page)).toHaveText(['Groceries', 'Call mom'])
      await expect(page.getByTestId('note').filter({ hasText: 'Groceries' }).getByTestId('note-body')).toHaveValue('milk, eggs')
      expect([...errors, ...otherErrors]).toEqual([])
    } finally {
      await server.close()
    }
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})
