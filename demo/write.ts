// The Write card: put and delete one key on the current branch's head, delete all (asked first).
// The key is a string; an empty one is refused here with a message (the engine would store it:
// '' is a valid IndexedDB key, but in a form it is almost always a slip).
import { app } from './app.ts'
import { ask } from './dialog.ts'
import { $ } from './dom.ts'
import { act, say } from './feedback.ts'
import { parseValue, plural, show } from './format.ts'
import { sampleSoon } from './live.ts'

const keyBox = () => $<HTMLInputElement>('key')
const valueBox = () => $<HTMLTextAreaElement>('value')

/** The key typed, or undefined after telling the user what is wrong. */
function keyOrComplain(): string | undefined {
  const key = keyBox().value
  const problem = key === '' ? 'Type a key first: an empty key is not allowed here.' : key.length > 512 ? `Keys here are at most 512 characters (this one has ${key.length}).` : undefined
  $('key-error').textContent = problem ?? ''
  if (problem) {
    keyBox().setAttribute('aria-invalid', 'true')
    keyBox().focus()
    return undefined
  }
  keyBox().removeAttribute('aria-invalid')
  return key
}

/** Says whether the value box holds JSON or text, as the user types. */
function hintValue(): void {
  const text = valueBox().value
  const { value, as } = parseValue(text)
  $('value-hint').textContent = text === '' ? 'JSON, or plain text' : as === 'json' ? `stored as ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`}` : 'stored as text (not JSON)'
}

/** Fills the form from a row of the data table (click a row to edit it). Cost: O(value size). */
export function edit(key: string, value: unknown): void {
  keyBox().value = key
  valueBox().value = typeof value === 'string' ? value : JSON.stringify(value, null, 0) ?? ''
  hintValue()
  valueBox().focus()
}

/** Wires the card. Cost: O(1). */
export function wireWrite(): void {
  keyBox().addEventListener('input', () => {
    if (keyBox().value) ($('key-error').textContent = '', keyBox().removeAttribute('aria-invalid'))
  })
  valueBox().addEventListener('input', hintValue)
  valueBox().addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) $<HTMLFormElement>('put-form').requestSubmit()
  })
  $('put-form').addEventListener('submit', (e) => {
    e.preventDefault()
    const key = keyOrComplain()
    if (key === undefined) return
    const text = valueBox().value
    const { value } = parseValue(text)
    const branch = app.branch
    void act($<HTMLButtonElement>('put'), () => app.db.put(key, value, { branch }), (c) => `put ${JSON.stringify(key)} = ${show(value, 60)} on ${branch} (commit #${c.generation})`).then(sampleSoon)
  })
  $('delete').onclick = () => {
    const key = keyOrComplain()
    if (key === undefined) return
    const branch = app.branch
    void act(
      $<HTMLButtonElement>('delete'),
      async () => {
        const had = (await app.db.get(key, { branch })) !== undefined
        return { had, commit: await app.db.delete(key, { branch }) }
      },
      ({ had, commit }) => (had ? `deleted ${JSON.stringify(key)} on ${branch} (commit #${commit.generation})` : `${JSON.stringify(key)} was not there on ${branch}: nothing deleted`),
    ).then(sampleSoon)
  }
  $('clear').onclick = async () => {
    const branch = app.branch
    const n = await app.db.count({}, { branch }) // exact now, not cached
    if (n === 0) return say(`${branch} holds no key: nothing to delete`, 'info')
    const yes = await ask({
      title: `Delete all ${plural(n, 'key')} on ${branch}?`,
      body: 'One commit drops every key (whole subtrees, without visiting each leaf). Undo brings them all back, and snapshots keep their own copy.',
      confirm: `Delete ${plural(n, 'key')}`,
      danger: true,
    })
    if (yes === undefined) return say('nothing deleted', 'info')
    await act($<HTMLButtonElement>('clear'), () => app.db.deleteRange({}, { branch }), (c) => `deleted all ${plural(n, 'key')} on ${branch} (commit #${c.generation}); Undo brings them back`)
    sampleSoon()
  }
  app.on(['select'], () => {
    $('write-where').textContent = `to the head of ${app.branch}`
  })
  $('write-where').textContent = `to the head of ${app.branch}`
}
