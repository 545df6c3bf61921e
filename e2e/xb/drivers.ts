// One small driver interface over three automation stacks, so that the same test bodies (page-side
// functions, as Playwright's page.evaluate takes them) run in every browser:
// - Chromium: puppeteer-core over CDP, Debian's chromium, a persistent profile;
// - Firefox ESR: puppeteer-core over WebDriver BiDi, Debian's firefox-esr, a persistent profile;
// - WebKitGTK: selenium-webdriver against Debian's WebKitWebDriver driving MiniBrowser under
//   Xvfb. Under automation its website data is ephemeral: it lasts until the browser exits, so
//   persistence is tested across reloads and tabs of one session.
// A body must be self-contained (it is sent as source) and return JSON-compatible data.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer, { type Browser as PBrowser, type Page } from 'puppeteer-core'
import { Builder, type WebDriver } from 'selenium-webdriver'
import { freePort } from '../ports'

export type BrowserName = 'chromium' | 'firefox' | 'webkit'

export interface Tab {
  /** Runs `fn(arg)` in the page and resolves with its (awaited) result; a throw rejects with `Name: message`. */
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<Awaited<R>>
  goto(path: string): Promise<void>
  reload(): Promise<void>
  /** Closes the tab as a user would (its workers end with it). */
  close(): Promise<void>
}

export interface XBrowser {
  name: BrowserName
  /** Product and version, e.g. `Firefox 153.8.0esr`. */
  version: string
  newTab(path: string): Promise<Tab>
  close(): Promise<void>
}

export const paths = {
  chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  firefox: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
  webkitDriver: process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver',
  miniBrowser: process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
}

/** Waits for the test page's `ready` marker. */
async function waitReady(tab: Tab): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await tab.evaluate(() => document.body?.textContent === 'ready').catch(() => false)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('the test page never became ready')
}

// ---- puppeteer (Chromium over CDP, Firefox over BiDi) -----------------------------------------

class PuppeteerTab implements Tab {
  constructor(
    private readonly page: Page,
    private readonly base: string,
  ) {}
  async evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<Awaited<R>> {
    // sent as source and wrapped, so a thrown error keeps its name whatever the protocol does with it
    const out = (await this.page.evaluate(wrap(fn), arg as unknown)) as Outcome
    return unwrap(out) as Awaited<R>
  }
  async goto(path: string): Promise<void> {
    await this.page.goto(this.base + path)
    await waitReady(this)
  }
  async reload(): Promise<void> {
    await this.page.reload()
    await waitReady(this)
  }
  async close(): Promise<void> {
    await this.page.close()
  }
}

async function launchPuppeteer(name: 'chromium' | 'firefox', base: string): Promise<XBrowser> {
  const profile = mkdtempSync(join(tmpdir(), `cowdb-xb-${name}-`))
  const browser: PBrowser =
    name === 'firefox'
      ? await puppeteer.launch({
          browser: 'firefox',
          executablePath: paths.firefox,
          headless: true,
          userDataDir: profile,
          // persist() answers without a prompt in tests (a real Firefox asks the user)
          extraPrefsFirefox: { 'dom.storageManager.prompt.testing': true, 'dom.storageManager.prompt.testing.allow': true },
        })
      : await puppeteer.launch({
          browser: 'chrome',
          executablePath: paths.chromium,
          headless: true,
          userDataDir: profile,
          args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        })
  const raw = await browser.version()
  const version = name === 'firefox' ? `Firefox ${raw.replace(/^firefox\//, '')}` : `Chromium ${raw.replace(/^(Headless)?Chrome\//, '')}`
  let first = (await browser.pages())[0]
  return {
    name,
    version,
    async newTab(path) {
      const page = first ?? (await browser.newPage())
      first = undefined
      page.on('pageerror', (e) => console.log(`    [${name} page error] ${String(e)}`))
      const tab = new PuppeteerTab(page, base)
      await tab.goto(path)
      return tab
    },
    async close() {
      await browser.close().catch(() => {})
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

// ---- selenium (WebKitGTK) ----------------------------------------------------------------------

class SeleniumTab implements Tab {
  constructor(
    private readonly driver: WebDriver,
    readonly handle: string,
    private readonly base: string,
    private readonly onClose: () => Promise<void>,
  ) {}
  async evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<Awaited<R>> {
    await this.driver.switchTo().window(this.handle)
    const script = `const done = arguments[arguments.length - 1]; Promise.resolve((${wrap(fn).toString()})(arguments[0])).then(done)`
    return unwrap((await this.driver.executeAsyncScript(script, arg ?? null)) as Outcome) as Awaited<R>
  }
  async goto(path: string): Promise<void> {
    await this.driver.switchTo().window(this.handle)
    await this.driver.get(this.base + path)
    await waitReady(this)
  }
  async reload(): Promise<void> {
    await this.driver.switchTo().window(this.handle)
    await this.driver.navigate().refresh()
    await waitReady(this)
  }
  async close(): Promise<void> {
    await this.driver.switchTo().window(this.handle)
    await this.driver.close()
    await this.onClose()
  }
}

async function launchWebKit(base: string): Promise<XBrowser> {
  const children: ChildProcess[] = []
  let display = process.env.DISPLAY
  if (!process.env.XB_USE_DISPLAY) {
    display = `:${90 + Math.floor(Math.random() * 400)}`
    children.push(spawn('Xvfb', [display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: 'ignore' }))
  }
  const port = await freePort()
  children.push(spawn(paths.webkitDriver, [`--port=${port}`], { stdio: 'ignore', env: { ...process.env, DISPLAY: display } }))
  const stop = () => children.forEach((c) => c.kill())
  let driver: WebDriver | undefined
  for (let i = 0; i < 50 && !driver; i++) {
    await new Promise((r) => setTimeout(r, 200))
    try {
      driver = await new Builder()
        .usingServer(`http://127.0.0.1:${port}`)
        .withCapabilities({
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': {
            binary: paths.miniBrowser,
            args: ['--automation', '--features=+FileSystem,+AccessHandle,+StorageAPI,+StorageAPIEstimate'],
          },
        })
        .build()
    } catch (e) {
      if (i === 49) {
        stop()
        throw e
      }
    }
  }
  const d = driver!
  await d.manage().setTimeouts({ script: 240_000 })
  const caps = await d.getCapabilities()
  const version = `WebKitGTK ${caps.get('browserVersion')} (MiniBrowser)`
  let first: string | undefined = await d.getWindowHandle()
  const open = new Set<string>()
  return {
    name: 'webkit',
    version,
    async newTab(path) {
      let handle = first
      first = undefined
      if (!handle) {
        await d.switchTo().newWindow('tab')
        handle = await d.getWindowHandle()
      }
      open.add(handle)
      const tab = new SeleniumTab(d, handle, base, async () => {
        open.delete(handle)
        const left = await d.getAllWindowHandles()
        if (left.length) await d.switchTo().window(left[0]!)
      })
      await tab.goto(path)
      return tab
    },
    async close() {
      await d.quit().catch(() => {})
      stop()
    },
  }
}

/** Launches one browser on a fresh profile, pages served from `base` (http://localhost:PORT). */
export function launch(name: BrowserName, base: string): Promise<XBrowser> {
  return name === 'webkit' ? launchWebKit(base) : launchPuppeteer(name, base)
}

// ---- results across the boundary ---------------------------------------------------------------

type Outcome = { ok: true; value: unknown } | { ok: false; name: string; message: string }

/** Wraps a body so that its result or error crosses any protocol as plain data. */
function wrap<A, R>(fn: (arg: A) => R | Promise<R>): (arg: A) => Promise<Outcome> {
  // built from source: the body must not close over anything of this process
  return new Function(
    'arg',
    // esbuild (tsx) may wrap inner functions in __name(): give the page a no-op one
    `const __name = (f) => f; return Promise.resolve().then(() => (${fn.toString()})(arg)).then(
       (value) => ({ ok: true, value: value === undefined ? null : value }),
       (e) => ({ ok: false, name: String((e && e.name) || 'Error'), message: String((e && e.message) || e) }))`,
  ) as (arg: A) => Promise<Outcome>
}

/** An error from a page body, with the name it had there. */
export class PageError extends Error {}

function unwrap(out: Outcome): unknown {
  if (out && out.ok) return out.value
  const e = new PageError(`${out?.name}: ${out?.message}`)
  e.name = out?.name ?? 'Error'
  throw e
}
