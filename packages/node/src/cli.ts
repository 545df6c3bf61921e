// The dbctl executable. It runs main() unconditionally: an "am I the entry module?" check
// (import.meta.url against process.argv[1]) is false when npm starts the command through the
// symlink it installs in node_modules/.bin, and the command then did nothing, silently.

import { main } from './dbctl.js'

process.exit(await main(process.argv.slice(2)))
