package pg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/store"
)

// EvidenceTable is lanegate's evidence table (migrations/0002_evidence.sql).
const EvidenceTable = "lanegate_evidence"

// ErrNoEvidenceTable reports that lanegate's migrations have not been run.
var ErrNoEvidenceTable = errors.New("table lanegate_evidence not found: run `lanegate migrate --database-url ...` first")

// Querier is what the Postgres functions need: a *pgx.Conn or a pgx.Tx.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// EvidenceStore keeps evidence in the lanegate_evidence table.
type EvidenceStore struct {
	Conn *pgx.Conn
	// StatementTimeout, when positive, bounds each statement (SET LOCAL
	// statement_timeout in the store's own transactions).
	StatementTimeout time.Duration
}

// OpenEvidence checks that lanegate_evidence exists and returns a store on conn.
// The caller keeps ownership of conn.
func OpenEvidence(ctx context.Context, conn *pgx.Conn) (*EvidenceStore, error) {
	if err := CheckEvidenceTable(ctx, conn); err != nil {
		return nil, err
	}
	return &EvidenceStore{Conn: conn}, nil
}

// CheckEvidenceTable returns a *store.Error wrapping ErrNoTable when the evidence
// table is missing.
func CheckEvidenceTable(ctx context.Context, q Querier) error {
	var ok bool
	if err := q.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", EvidenceTable).Scan(&ok); err != nil {
		return evidenceError("check for table lanegate_evidence", err)
	}
	if !ok {
		return &store.Error{Msg: "lanegate's tables are missing", Err: ErrNoEvidenceTable}
	}
	return nil
}

// Describe names the store for logs.
func (s *EvidenceStore) Describe() string { return "postgres table " + EvidenceTable }

func evidenceError(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57014":
			return store.Errorf(nil, "%s: statement timed out", what)
		case "42501":
			return store.Errorf(nil, "%s: permission denied: %s (evidence needs INSERT and SELECT on lanegate_evidence and USAGE on its sequence)", what, pgErr.Message)
		case "42P01":
			return &store.Error{Msg: what, Err: ErrNoEvidenceTable}
		}
		return store.Errorf(nil, "%s: %s (SQLSTATE %s)", what, pgErr.Message, pgErr.Code)
	}
	return store.Errorf(err, "%s", what)
}

// inTx runs fn in a transaction with the statement timeout applied.
func (s *EvidenceStore) inTx(ctx context.Context, mode pgx.TxAccessMode, fn func(pgx.Tx) error) error {
	tx, err := s.Conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: mode})
	if err != nil {
		return evidenceError("begin transaction", err)
	}
	defer tx.Rollback(context.Background())
	if s.StatementTimeout > 0 {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", s.StatementTimeout.Milliseconds())); err != nil {
			return evidenceError("set statement timeout", err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return evidenceError("commit evidence", err)
	}
	return nil
}

// Append implements backend.EvidenceStore.
func (s *EvidenceStore) Append(ctx context.Context, recs []evidence.Record) ([]evidence.AppendResult, error) {
	var out []evidence.AppendResult
	err := s.inTx(ctx, pgx.ReadWrite, func(tx pgx.Tx) error {
		var err error
		out, err = AppendEvidence(ctx, tx, recs)
		return err
	})
	return out, err
}

// List implements backend.EvidenceStore.
func (s *EvidenceStore) List(ctx context.Context, q evidence.Query) ([]evidence.Record, error) {
	var out []evidence.Record
	err := s.inTx(ctx, pgx.ReadOnly, func(tx pgx.Tx) error {
		var err error
		out, err = ListEvidence(ctx, tx, q)
		return err
	})
	return out, err
}

const insertSQL = `
INSERT INTO lanegate_evidence
  (lane, kind, passed, observed_at, run_url, run_id, run_attempt, sha, actor, trace_id, detail)
SELECT lane, kind, passed, observed_at, run_url, run_id, run_attempt, sha, actor, trace_id, detail::jsonb
FROM unnest($1::text[], $2::text[], $3::bool[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::text[], $11::text[])
  AS t(lane, kind, passed, observed_at, run_url, run_id, run_attempt, sha, actor, trace_id, detail)
ON CONFLICT (lane, kind, run_id, run_attempt) DO NOTHING
RETURNING lane, kind, run_id, run_attempt, recorded_at`

const columnsSQL = `lane, kind, passed, observed_at, run_url, run_id, run_attempt, sha, actor, trace_id, detail::text, recorded_at`

const existingSQL = `
SELECT ` + columnsSQL + `
FROM lanegate_evidence
WHERE (lane, kind, run_id, run_attempt) IN (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))`

// AppendEvidence appends records through q, which may be the caller's own
// transaction (audit --record writes its run and its evidence together).
// See backend.EvidenceStore.Append for the semantics.
func AppendEvidence(ctx context.Context, q Querier, recs []evidence.Record) ([]evidence.AppendResult, error) {
	kept, index, err := evidence.Dedupe(recs)
	if err != nil {
		return nil, err
	}
	if len(kept) == 0 {
		return []evidence.AppendResult{}, nil
	}
	n := len(kept)
	lane, kind, runURL, runID, attempt, sha, actor, trace, detail := make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n)
	passed := make([]bool, n)
	observed := make([]time.Time, n)
	for i, r := range kept {
		d, err := json.Marshal(r.Detail)
		if err != nil {
			return nil, fmt.Errorf("encode evidence detail: %w", err)
		}
		lane[i], kind[i], passed[i], observed[i] = r.Lane, r.Kind, r.Passed, r.ObservedAt
		runURL[i], runID[i], attempt[i], sha[i], actor[i], trace[i], detail[i] = r.RunURL, r.RunID, r.RunAttempt, r.SHA, r.Actor, r.TraceID, string(d)
	}
	rows, err := q.Query(ctx, insertSQL, lane, kind, passed, observed, runURL, runID, attempt, sha, actor, trace, detail)
	if err != nil {
		return nil, evidenceError("record evidence", err)
	}
	created := map[evidence.Key]time.Time{}
	for rows.Next() {
		var k evidence.Key
		var at time.Time
		if err := rows.Scan(&k.Lane, &k.Kind, &k.RunID, &k.RunAttempt, &at); err != nil {
			rows.Close()
			return nil, evidenceError("record evidence", err)
		}
		created[k] = at.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, evidenceError("record evidence", err)
	}
	stored := make([]evidence.AppendResult, n)
	var missing []int
	for i, r := range kept {
		if at, ok := created[r.Key()]; ok {
			r.RecordedAt = at
			stored[i] = evidence.AppendResult{Record: r, Created: true}
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		var l, k, id, a []string
		for _, i := range missing {
			key := kept[i].Key()
			l, k, id, a = append(l, key.Lane), append(k, key.Kind), append(id, key.RunID), append(a, key.RunAttempt)
		}
		existing, err := queryRecords(ctx, q, existingSQL, l, k, id, a)
		if err != nil {
			return nil, err
		}
		byKey := map[evidence.Key]evidence.Record{}
		for _, r := range existing {
			byKey[r.Key()] = r
		}
		for _, i := range missing {
			r, ok := byKey[kept[i].Key()]
			if !ok {
				// Inserted by a concurrent writer whose transaction is not
				// visible yet, or deleted since: report what was asked.
				r = kept[i]
			}
			stored[i] = evidence.AppendResult{Record: r}
		}
	}
	out := make([]evidence.AppendResult, len(recs))
	first := map[int]bool{}
	for i, j := range index {
		out[i] = stored[j]
		if first[j] {
			out[i].Created = false
		}
		first[j] = true
	}
	return out, nil
}

// ListEvidence lists records through q. See backend.EvidenceStore.List.
func ListEvidence(ctx context.Context, q Querier, query evidence.Query) ([]evidence.Record, error) {
	sql := `SELECT ` + columnsSQL + `,
  row_number() OVER (PARTITION BY lane, kind
    ORDER BY observed_at DESC, recorded_at DESC, run_id COLLATE "C" DESC, run_attempt COLLATE "C" DESC) AS n
FROM lanegate_evidence
WHERE ($1::text[] IS NULL OR lane = ANY($1))
  AND ($2::text[] IS NULL OR kind = ANY($2))
  AND ($3::timestamptz IS NULL OR observed_at >= $3)`
	var lanes, kinds []string
	if len(query.Lanes) > 0 {
		lanes = query.Lanes
	}
	if len(query.Kinds) > 0 {
		kinds = query.Kinds
	}
	var since *time.Time
	if !query.Since.IsZero() {
		t := query.Since
		since = &t
	}
	args := []any{lanes, kinds, since}
	if query.Limit > 0 {
		sql = `SELECT ` + columnsSQL + ` FROM (` + sql + `) AS e WHERE n <= $4`
		args = append(args, query.Limit)
	}
	recs, err := queryRecords(ctx, q, sql, args...)
	if err != nil {
		return nil, err
	}
	evidence.Sort(recs)
	return recs, nil
}

func queryRecords(ctx context.Context, q Querier, sql string, args ...any) ([]evidence.Record, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, evidenceError("read evidence", err)
	}
	defer rows.Close()
	var out []evidence.Record
	for rows.Next() {
		var r evidence.Record
		var detail string
		dst := []any{&r.Lane, &r.Kind, &r.Passed, &r.ObservedAt, &r.RunURL, &r.RunID, &r.RunAttempt,
			&r.SHA, &r.Actor, &r.TraceID, &detail, &r.RecordedAt}
		if fd := rows.FieldDescriptions(); len(fd) > len(dst) {
			var n int64
			dst = append(dst, &n)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, evidenceError("read evidence", err)
		}
		r.ObservedAt, r.RecordedAt = r.ObservedAt.UTC(), r.RecordedAt.UTC()
		r.Detail = decodeDetail(detail)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, evidenceError("read evidence", err)
	}
	return out, nil
}

// decodeDetail reads a detail object; non-string values (written by hand)
// are kept as their JSON text.
func decodeDetail(s string) map[string]string {
	out := map[string]string{}
	var raw map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &raw) != nil {
		return out
	}
	for k, v := range raw {
		var str string
		if json.Unmarshal(v, &str) == nil {
			out[k] = str
		} else {
			out[k] = string(v)
		}
	}
	return out
}
