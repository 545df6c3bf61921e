import React, { useState } from 'react'
import { useScan, useLive } from '@cowdb/react'
import { History } from './History.jsx'
import { Note } from './Note.jsx'

const NOTES = { gte: 'note:', lt: 'note;' }

export function App({ db }) {
  const notes = useScan(db, NOTES)
  // undo/redo counts of the main head, read again after every commit
  const head = useLive(db, {}, async (d) => (await d.branches()).find((b) => b.name === 'main'), 'head')
  const [at, setAt] = useState(null) // a history entry being looked at, or null: the live notes
  const [title, setTitle] = useState('')

  const add = async (e) => {
    e.preventDefault()
    if (!title.trim()) return
    await db.put(`note:${Date.now().toString(36)}`, { title: title.trim(), body: '' })
    setTitle('')
  }
  return (
    <main>
      <header>
        <h1>Notes</h1>
        <button data-testid="undo" disabled={!head.value?.undoable} onClick={() => db.undo()}>Undo</button>
        <button data-testid="redo" disabled={!head.value?.redoable} onClick={() => db.redo()}>Redo</button>
      </header>
      <History db={db} at={at} onChange={setAt} />
      {at ? null : (
        <>
          <form onSubmit={add}>
            <input type="text" data-testid="new-title" placeholder="New note" value={title} onChange={(e) => setTitle(e.target.value)} />
            <button data-testid="add">Add</button>
          </form>
          <ul data-testid="notes" data-status={notes.status}>
            {(notes.value ?? []).map(([key, note]) => (
              <Note key={key} db={db} id={key} note={note} />
            ))}
          </ul>
        </>
      )}
    </main>
  )
}
