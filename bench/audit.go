package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
)

// baselineQuery is the audit's own query with both scope parameters empty.
func baselineQuery() string {
	q := strings.ReplaceAll(pgstore.RouteQuery, "$1", "''")
	return strings.TrimSpace(strings.ReplaceAll(q, "$2", "''"))
}

// topLevel reads a JSON object from r, decoding the wanted keys into their
// targets and skipping everything else token by token (the reports are far
// too large to buffer).
func topLevel(r io.Reader, want map[string]any) error {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("report is not a JSON object (%v)", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if dst, ok := want[key]; ok {
			if err := dec.Decode(dst); err != nil {
				return fmt.Errorf("report key %s: %w", key, err)
			}
			continue
		}
		depth := 0
		for {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			switch tok {
			case json.Delim('{'), json.Delim('['):
				depth++
			case json.Delim('}'), json.Delim(']'):
				depth--
			}
			if depth == 0 {
				break
			}
		}
	}
	return nil
}

func benchAudit(ctx context.Context, c *config, n int) (result, error) {
	res := result{what: "audit", n: n}
	if n >= 100000 {
		res.maxRatio = 1.5
	}
	if n >= 1000000 {
		res.maxRSSMiB = 64
	}
	name := fmt.Sprintf("lanegate_bench_%d", n)
	if !c.keep {
		defer func() {
			if err := dropDatabase(context.Background(), c.adminURL, name); err != nil {
				logf("drop %s: %v", name, err)
			}
		}()
	}
	stamp := fmt.Sprintf("lanegate-bench v1 routes=%d seed=%d", n, c.seed)
	url, expected, err := reuse(ctx, c, name, stamp)
	if err != nil {
		return res, err
	}
	if expected == nil {
		if url, err = prepare(ctx, c, name); err != nil {
			return res, err
		}
		g := newGenerator(n, c.seed, false)
		logf("loading %d routes into %s", n, name)
		if err := load(ctx, url, g, c.batch); err != nil {
			return res, err
		}
		expected = g.Expected
		if err := stampDatabase(ctx, c.adminURL, name, stamp, expected); err != nil {
			return res, err
		}
	}
	logf("  tables take %s", tableSizes(ctx, url))
	if c.explain {
		if err := explain(ctx, url); err != nil {
			return res, err
		}
	}

	auditArgs := c.lanegateArgs("audit", "--database-url", url, "--no-lanes", "--format", "json")
	// Untimed first run: checks the report's counts against what was
	// generated, and warms the cache.
	var counts map[string]int
	var inspected int
	check := proc{name: c.lanegate, args: auditArgs, dir: c.work, okCodes: []int{1},
		read: func(r io.Reader) error {
			return topLevel(r, map[string]any{"counts": &counts, "inspected_route_count": &inspected})
		}}
	s, err := check.run(ctx)
	if err != nil {
		return res, err
	}
	logf("  check run %.2fs, peak RSS %.1f MiB, inspected %d routes", s.Wall.Seconds(), mib(s.MaxRSS), inspected)
	if inspected != n || !maps.Equal(counts, expected) {
		return res, fmt.Errorf("audit report does not match the generated data: inspected %d of %d, counts %s, generated %s",
			inspected, n, fmtCounts(counts), fmtCounts(expected))
	}
	logf("  counts as generated: %s", fmtCounts(counts))

	base := proc{name: c.psql, args: []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url,
		"-c", "COPY (" + baselineQuery() + ") TO STDOUT"}, dir: c.work, stdout: devNull()}
	if s, err = base.run(ctx); err != nil {
		return res, err
	}
	logf("  warm-up baseline %.2fs", s.Wall.Seconds())
	timed := proc{name: c.lanegate, args: auditArgs, dir: c.work, stdout: devNull(), okCodes: []int{1}}
	for i := 1; i <= c.reps; i++ {
		b, err := base.run(ctx)
		if err != nil {
			return res, err
		}
		l, err := timed.run(ctx)
		if err != nil {
			return res, err
		}
		res.base, res.lg = append(res.base, b), append(res.lg, l)
		logf("  rep %d/%d: baseline %.2fs (RSS %.1f MiB), lanegate %.2fs (cpu %.2fs, RSS %.1f MiB), load %.1f",
			i, c.reps, b.Wall.Seconds(), mib(b.MaxRSS), l.Wall.Seconds(), l.CPU.Seconds(), mib(l.MaxRSS), l.Load)
	}
	return res, nil
}

func fmtCounts(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// explain logs the plan and timing of the baseline query.
func explain(ctx context.Context, url string) error {
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	start := time.Now()
	rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS, SETTINGS) "+baselineQuery())
	if err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	defer rows.Close()
	logf("EXPLAIN (ANALYZE, BUFFERS) of the route query:")
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		logf("  | %s", line)
	}
	logf("  (explain took %.2fs)", time.Since(start).Seconds())
	return rows.Err()
}
