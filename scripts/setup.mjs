// Shared setup for `npm start`, `npm test` and `npm run bench`: with only Node and npm on the
// machine, install the workspace (pnpm pinned in package.json, through npx) and, for browser
// work, Debian's Chromium when no browser is configured.
import { existsSync, statSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pnpm } from './pnpm.mjs'

export const root = fileURLToPath(new URL('..', import.meta.url))

/** Runs a command with inherited output; returns its exit code. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts })
  if (r.error) console.error(`${cmd}: ${r.error.message}`)
  return r.status ?? 1
}

/** Installs the workspace when node_modules is missing or older than the lockfile. */
export function ensureInstalled() {
  const marker = `${root}/node_modules/.modules.yaml`
  const lock = `${root}/pnpm-lock.yaml`
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return
  console.log('> installing dependencies (pnpm install --frozen-lockfile)')
  const code = pnpm(['install', '--frozen-lockfile'])
  if (code !== 0) throw new Error(`pnpm install failed with exit code ${code}`)
}

/** Installs Debian's `pkg` (for the command `what`) with apt-get, as root or through sudo; true on success. */
export function aptInstall(pkg, what = pkg, { recommends = true } = {}) {
  console.log(`> installing ${what} from Debian's package '${pkg}' (apt-get)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const apt = (args) => (process.getuid?.() === 0 ? run('apt-get', args, { env }) : run('sudo', ['apt-get', ...args], { env }))
  return apt(['update', '-qq']) === 0 && apt(['install', '-y', '-qq', ...(recommends ? [] : ['--no-install-recommends']), pkg]) === 0
}

/** The Chromium to drive: $CHROMIUM_PATH, else /usr/bin/chromium, installed from Debian if missing. */
export function ensureChromium() {
  if (process.env.CHROMIUM_PATH) {
    if (!existsSync(process.env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist`)
    return process.env.CHROMIUM_PATH
  }
  const path = '/usr/bin/chromium'
  if (existsSync(path)) return path
  if (!aptInstall('chromium', 'Chromium') || !existsSync(path)) {
    throw new Error("could not install Chromium: run `apt-get install -y chromium` or set CHROMIUM_PATH")
  }
  return path
}

/**
 * The other browsers of the cross-browser suite (e2e/xb): Debian's firefox-esr, and WebKitGTK's
 * MiniBrowser with its WebDriver (webkit2gtk-driver) under Xvfb; installed when missing.
 * Returns the ones available (a failed install leaves the suite to report the browser missing).
 */
export function ensureOtherBrowsers() {
  for (const [path, pkg] of [
    ['/usr/bin/firefox-esr', 'firefox-esr'],
    ['/usr/bin/WebKitWebDriver', 'webkit2gtk-driver'],
    ['/usr/bin/Xvfb', 'xvfb'],
  ]) {
    if (!existsSync(path)) aptInstall(pkg, `${pkg} (cross-browser tests)`)
  }
  const have = []
  if (existsSync('/usr/bin/firefox-esr')) have.push('firefox')
  if (existsSync('/usr/bin/WebKitWebDriver') && existsSync('/usr/bin/Xvfb')) have.push('webkit')
  return have
}
