package evidence

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// Store appends and lists evidence: the method set of backend.EvidenceStore,
// which the Postgres and filesystem backends implement (internal/backend/pg,
// internal/backend/fs).
type Store interface {
	// Describe names the store for logs.
	Describe() string
	// Append normalises and stores records. It is idempotent per Key: a
	// record whose key is already stored is not written again, and the
	// result carries the stored record with Created false. If any record is
	// invalid, nothing is written and the error is a *ValidationError.
	Append(ctx context.Context, recs []Record) ([]AppendResult, error)
	// List returns the records matching q in Sort order.
	List(ctx context.Context, q Query) ([]Record, error)
}

// AppendResult is the outcome of appending one record.
type AppendResult struct {
	// Record is what the store holds for the key: the new record, or the
	// one stored earlier.
	Record Record
	// Created is false when the key was already stored.
	Created bool
}

// Query selects records. Zero fields do not filter.
type Query struct {
	Lanes []string  // exact lane keys
	Kinds []string  // evidence kinds
	Since time.Time // only records observed at or after Since
	Limit int       // at most this many records per (lane, kind), newest first
}

// Matches reports whether r is selected by q's lanes, kinds and Since (Limit
// is applied to a sorted list by LimitPerGroup).
func (q Query) Matches(r *Record) bool {
	if len(q.Lanes) > 0 && !slices.Contains(q.Lanes, r.Lane) {
		return false
	}
	if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, r.Kind) {
		return false
	}
	if !q.Since.IsZero() && r.ObservedAt.Before(q.Since) {
		return false
	}
	return true
}

// Compare orders records by lane, then kind (in Kinds order), then newest
// observation first; ties go to the later recording, then run id and
// attempt (descending), so every store returns the same order.
func Compare(a, b Record) int {
	if c := strings.Compare(a.Lane, b.Lane); c != 0 {
		return c
	}
	if c := cmp.Compare(kindIndex(a.Kind), kindIndex(b.Kind)); c != 0 {
		return c
	}
	if c := b.ObservedAt.Compare(a.ObservedAt); c != 0 {
		return c
	}
	if c := b.RecordedAt.Compare(a.RecordedAt); c != 0 {
		return c
	}
	if c := strings.Compare(b.RunID, a.RunID); c != 0 {
		return c
	}
	return strings.Compare(b.RunAttempt, a.RunAttempt)
}

func kindIndex(k string) int {
	if i := slices.Index(Kinds, k); i >= 0 {
		return i
	}
	return len(Kinds)
}

// Sort sorts records in Compare order.
func Sort(recs []Record) { slices.SortStableFunc(recs, Compare) }

// LimitPerGroup keeps the first n records of each (lane, kind) of a sorted
// slice; n <= 0 keeps everything.
func LimitPerGroup(recs []Record, n int) []Record {
	if n <= 0 {
		return recs
	}
	out := recs[:0]
	seen := 0
	for i, r := range recs {
		if i == 0 || r.Lane != recs[i-1].Lane || r.Kind != recs[i-1].Kind {
			seen = 0
		}
		if seen < n {
			out = append(out, r)
		}
		seen++
	}
	return out
}

// Index groups records by lane and kind; each list is newest first.
type Index map[string]map[string][]Record

// NewIndex groups sorted or unsorted records.
func NewIndex(recs []Record) Index {
	recs = slices.Clone(recs)
	Sort(recs)
	ix := Index{}
	for _, r := range recs {
		if ix[r.Lane] == nil {
			ix[r.Lane] = map[string][]Record{}
		}
		ix[r.Lane][r.Kind] = append(ix[r.Lane][r.Kind], r)
	}
	return ix
}

// Lanes returns the index's lanes, sorted.
func (ix Index) Lanes() []string {
	out := make([]string, 0, len(ix))
	for l := range ix {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// Kinds returns the kinds recorded for a lane, in Kinds order.
func (ix Index) Kinds(lane string) []string {
	var out []string
	for _, k := range Kinds {
		if len(ix[lane][k]) > 0 {
			out = append(out, k)
		}
	}
	for k, rs := range ix[lane] {
		if !ValidKind(k) && len(rs) > 0 {
			out = append(out, k)
		}
	}
	return out
}

// Lister lists evidence records; every Store is one.
type Lister interface {
	List(ctx context.Context, q Query) ([]Record, error)
}

// Latest is the query the gate, the evidence comment and `lanegate evidence
// list` share: the records matching q grouped by lane and kind, newest first
// (at most q.Limit per lane and kind when set).
func Latest(ctx context.Context, st Lister, q Query) (Index, error) {
	recs, err := st.List(ctx, q)
	if err != nil {
		return nil, err
	}
	return NewIndex(recs), nil
}

// Dedupe validates and normalises a batch for a store's Append, keeping the
// first record of each key; index[i] says which kept record input i maps to.
func Dedupe(recs []Record) (kept []Record, index []int, err error) {
	pos := map[Key]int{}
	index = make([]int, len(recs))
	for i, r := range recs {
		n, err := r.Normalize()
		if err != nil {
			return nil, nil, err
		}
		k := n.Key()
		if j, ok := pos[k]; ok {
			index[i] = j
			continue
		}
		pos[k] = len(kept)
		index[i] = len(kept)
		kept = append(kept, n)
	}
	return kept, index, nil
}
