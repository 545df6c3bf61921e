import React, { useEffect, useState } from 'react'

/** One note: its body saves on blur; the delete is one commit, so Undo brings it back. */
export function Note({ db, id, note }) {
  const [body, setBody] = useState(note.body)
  useEffect(() => setBody(note.body), [note.body]) // another tab (or undo) changed it
  const save = () => body !== note.body && db.put(id, { ...note, body })
  return (
    <li data-testid="note">
      <strong data-testid="note-title">{note.title}</strong>{' '}
      <button data-testid="delete" onClick={() => db.delete(id)}>Delete</button>
      <textarea data-testid="note-body" value={body} onChange={(e) => setBody(e.target.value)} onBlur={save} />
    </li>
  )
}
