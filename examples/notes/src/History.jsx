import React from 'react'
import { useLive } from '@cowdb/react'

/**
 * A slider over the kept history (each commit is a snapshot of kind 'history'): moving it shows
 * the notes as they were at that commit, read at the snapshot; Restore makes that state the
 * current one, as a new commit that can itself be undone.
 */
export function History({ db, at, onChange }) {
  const history = useLive(db, {}, async (d) => (await d.snapshots()).filter((s) => s.kind === 'history' && (s.branch ?? 'main') === 'main'), 'history')
  const past = useLive(db, {}, (d) => (at ? d.scan({ gte: 'note:', lt: 'note;', snapshot: at }) : Promise.resolve([])), `past:${at}`)
  const entries = history.value ?? []
  const index = at ? entries.findIndex((s) => s.id === at) : entries.length
  const pick = (i) => onChange(i >= entries.length ? null : entries[i].id)
  return (
    <section className="history">
      <label>
        History: <span data-testid="history-position">{index < 0 ? '?' : index === entries.length ? 'now' : `${index + 1} of ${entries.length}`}</span>
        <input type="range" data-testid="history" min={0} max={entries.length} value={Math.max(index, 0)} onChange={(e) => pick(Number(e.target.value))} />
      </label>
      {at ? (
        <div className="past">
          <button data-testid="restore" onClick={async () => { await db.restore(at); onChange(null) }}>Restore this version</button>{' '}
          <button data-testid="back" onClick={() => onChange(null)}>Back to now</button>
          <ul data-testid="past-notes">
            {(past.value ?? []).map(([key, note]) => (
              <li key={key} data-testid="past-note">{note.title}{note.body ? `: ${note.body}` : ''}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  )
}
