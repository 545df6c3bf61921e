// What Vite puts in import.meta.env for the playground: `npm start -- --sync` sets the two
// VITE_COWDB_SYNC_* variables (see scripts/start.mjs); without them the page does not sync.
interface ImportMeta {
  readonly env?: { readonly VITE_COWDB_SYNC_URL?: string; readonly VITE_COWDB_SYNC_TOKEN?: string }
}
