// Package migrations holds lanegate's own versioned schema migrations.
//
// Files are named NNNN_name.sql (see internal/backend/pg/migrate for the rules) and are
// applied in version order by migrate.Apply. Never edit a migration that has
// been released: Apply refuses to run when an applied migration's checksum no
// longer matches. Add a new file with the next version instead.
package migrations

import "embed"

// FS contains every *.sql migration file of this directory.
//
//go:embed *.sql
var FS embed.FS
