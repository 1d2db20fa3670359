package pg

// SetAfterSnapshotJoined installs a test hook; call the returned func to
// remove it.
func SetAfterSnapshotJoined(fn func()) (restore func()) {
	afterSnapshotJoined = fn
	return func() { afterSnapshotJoined = nil }
}
