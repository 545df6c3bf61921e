// The live channel on the client: a server-sent event stream read with fetch (so the token goes
// in the Authorization header, as on every other request; EventSource cannot send it), opened
// again after any failure, and treated as a hint: each `head` event only says "pull".

import { request, type Remote } from './http.js'

/** If nothing (not even a heartbeat) arrives for this long, the stream is taken as dead. */
const SILENCE_MS = 45_000

export type LiveChannel = { close(): void }

/**
 * Follows `<db>/live`: calls `onHead(seq)` for each announced head and `onConnected(bool)` as
 * the stream opens and breaks; reconnects after `retryMs(attempt)`. Cost: one open request.
 */
export function openLive(remote: Remote, onHead: (seq: number) => void, onConnected: (up: boolean) => void, retryMs: (attempt: number) => number): LiveChannel {
  const stop = new AbortController()
  const run = async () => {
    for (let attempt = 0; !stop.signal.aborted; attempt++) {
      const conn = new AbortController()
      const onStop = () => conn.abort()
      stop.signal.addEventListener('abort', onStop)
      let quiet: ReturnType<typeof setTimeout> | undefined
      const alive = () => {
        clearTimeout(quiet)
        quiet = setTimeout(() => conn.abort(), SILENCE_MS)
      }
      try {
        const res = await request({ ...remote, timeoutMs: 0 }, 'live', { headers: { accept: 'text/event-stream' } }, conn.signal)
        onConnected(true)
        attempt = 0
        alive()
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
        let buf = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          alive()
          buf += value
          let end: number
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end)
            buf = buf.slice(end + 2)
            const event = /^event: (.*)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (event === 'head' && data) {
              const seq = (JSON.parse(data) as { seq?: unknown }).seq
              if (typeof seq === 'number') onHead(seq)
            }
          }
        }
      } catch {
        // offline, refused, refused auth, or closed by stop(): try again unless stopped
      } finally {
        clearTimeout(quiet)
        stop.signal.removeEventListener('abort', onStop)
      }
      if (stop.signal.aborted) break
      onConnected(false)
      await new Promise((r) => setTimeout(r, retryMs(attempt + 1)))
    }
  }
  void run()
  return { close: () => stop.abort() }
}
