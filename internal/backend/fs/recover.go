package fs

import (
	"context"

	"github.com/lanegate/lanegate/internal/backend"
)

var _ backend.Recoverer = (*Store)(nil)

// Recover implements backend.Recoverer: under Launchplane's bundle lock it
// rolls back an interrupted apply (see recoverLocked) and returns how many
// row files it removed. A state without a journal is left alone (0, nil).
// A recovery is short and checks everything before it removes anything, so
// it does not stop part-way for ctx.
func (s *Store) Recover(_ context.Context) (int, error) {
	unlock, err := s.Lock()
	if err != nil {
		return 0, err
	}
	defer unlock()
	return s.recoverLocked()
}
