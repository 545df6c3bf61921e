// A worker script that is not cowdb's: it loads and never answers (e2e/boundary.spec.ts).
