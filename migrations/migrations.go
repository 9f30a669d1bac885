// Package migrations holds the numbered SQL migrations of the core's Postgres
// schema, embedded so that the core binary can apply them at start.
package migrations

import "embed"

// FS holds the *.sql files, applied in the order of their numbers.
//
//go:embed *.sql
var FS embed.FS
