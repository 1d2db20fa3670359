package actions

import "github.com/lanegate/lanegate/internal/redact"

// The scrubber and the database-URL redaction live in internal/redact, so
// the backends can use them without importing the Actions runtime. These
// names keep the runtime's callers unchanged.

// Scrubber removes secrets from text; see redact.Scrubber.
type Scrubber = redact.Scrubber

// NewScrubber returns an empty Scrubber.
func NewScrubber() *Scrubber { return redact.NewScrubber() }

// UnparsableDatabaseURL is what RedactURL returns for input it cannot take
// apart reliably.
const UnparsableDatabaseURL = redact.UnparsableDatabaseURL

// SecretsFromDatabaseURL returns the values to Mask for a connection string.
func SecretsFromDatabaseURL(u string) []string { return redact.SecretsFromDatabaseURL(u) }

// DatabasePasswords returns every value that may be a password in u.
func DatabasePasswords(u string) []string { return redact.DatabasePasswords(u) }

// RedactURL returns u with its passwords replaced by "***".
func RedactURL(u string) string { return redact.RedactURL(u) }

// ScrubDatabaseSecrets removes connString's secrets from msg.
func ScrubDatabaseSecrets(msg, connString string) string {
	return redact.ScrubDatabaseSecrets(msg, connString)
}
