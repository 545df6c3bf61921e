// Playwright fixtures: every test gets Debian's Chromium with a fresh PERSISTENT profile.
// Playwright's default context is off the record, and there OPFS is ~15x slower than for real
// users, so numbers and behaviour measured there are not what users get.
import { test as base, chromium, expect, type BrowserContext, type Page } from '@playwright/test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Launches Chromium on a new temporary profile; `close()` also deletes the profile. */
export async function launchPersistent(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-e2e-'))
  const context = await chromium.launchPersistentContext(dir, { executablePath: chromiumPath, headless: true, args: chromiumArgs })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Collects console errors and uncaught page errors, for asserting a page is clean. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(String(e)))
  return errors
}

/** Opens the test page that exposes `window.cowdb` (demo/test/db.html) and waits until it is ready. */
export async function openTestPage(page: Page): Promise<void> {
  await page.goto('/test/db.html')
  await expect(page.locator('body')).toHaveText('ready')
}

export const test = base.extend<{ context: BrowserContext; page: Page }>({
  context: async ({}, use) => {
    const { context, close } = await launchPersistent()
    await use(context)
    await close()
  },
  page: async ({ context }, use) => {
    await use(context.pages()[0] ?? (await context.newPage()))
  },
})

export { expect }
