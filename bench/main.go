// Command bench measures lanegate's audit and backfill against plain
// PostgreSQL baselines on generated Launchplane databases.
//
//	go run ./bench -database-url 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
//	    -routes 10000,100000,1000000 [-what audit,backfill]
//
// For each route count it creates lanegate_bench_<N> (dropping any old one),
// loads a deterministic mix of routes, and times `lanegate audit` against
// `psql -c "COPY (<the audit's full join>) TO STDOUT"`. The backfill times
// `lanegate backfill --apply` creating -backfill-routes rows against one
// INSERT ... SELECT on an identical copy of the database. It prints a
// Markdown table on stdout and its progress on stderr. See bench/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
)

type config struct {
	adminURL       string
	routes         []int
	what           map[string]bool
	reps           int
	seed           uint64
	batch          int
	backfillRoutes int
	lanegate       string
	psql           string
	keep           bool
	reuse          bool
	explain        bool
	timeout        string // --statement-timeout for lanegate; "" = its default
	work           string // temporary directory: binary, cwd of the runs
}

// result is one row of the final table.
type result struct {
	what      string
	n         int
	base, lg  []sample
	maxRatio  float64 // target ratio; 0 = informational
	maxRSSMiB int64   // target peak RSS; 0 = none
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == launcherFlag {
		launch(os.Args[2:])
		return
	}
	if err := run(); err != nil {
		logf("error: %v", err)
		os.Exit(1)
	}
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(strings.ReplaceAll(f, "_", ""))
		if f == "" {
			continue
		}
		mult := 1
		switch {
		case strings.HasSuffix(f, "k"):
			mult, f = 1000, strings.TrimSuffix(f, "k")
		case strings.HasSuffix(f, "M"):
			mult, f = 1000000, strings.TrimSuffix(f, "M")
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad route count %q", f)
		}
		out = append(out, n*mult)
	}
	return out, nil
}

func run() error {
	var c config
	var routes, what string
	flag.StringVar(&c.adminURL, "database-url", "", "superuser URL of the server (its database is only used to create and drop the bench databases)")
	flag.StringVar(&routes, "routes", "10000,100000,1000000", "comma-separated route counts for the audit (10k, 1M spellings work)")
	flag.StringVar(&what, "what", "audit,backfill", "what to measure: audit, backfill or both")
	flag.IntVar(&c.reps, "reps", 3, "timed repetitions of each command (the median is reported)")
	flag.Uint64Var(&c.seed, "seed", 20260421, "generator seed")
	flag.IntVar(&c.batch, "batch", 50000, "routes per COPY batch while loading")
	flag.IntVar(&c.backfillRoutes, "backfill-routes", 100000, "Dokploy pairs the backfill creates rows for")
	flag.StringVar(&c.lanegate, "lanegate", "", "use this lanegate binary instead of building ./cmd/lanegate")
	flag.StringVar(&c.psql, "psql", "psql", "psql binary for the baselines")
	flag.BoolVar(&c.keep, "keep", false, "keep the bench databases afterwards")
	flag.BoolVar(&c.reuse, "reuse", false, "reuse an audit database a -keep run loaded with the same routes and seed")
	flag.BoolVar(&c.explain, "explain", false, "log EXPLAIN (ANALYZE, BUFFERS) of the audit's route query")
	flag.StringVar(&c.timeout, "statement-timeout", "", "pass --statement-timeout to lanegate audit and backfill (default: lanegate's own)")
	flag.Parse()
	if c.adminURL == "" {
		return fmt.Errorf("-database-url is required")
	}
	var err error
	if c.routes, err = parseInts(routes); err != nil {
		return err
	}
	c.what = map[string]bool{}
	for _, w := range strings.Split(what, ",") {
		switch w = strings.TrimSpace(w); w {
		case "audit", "backfill":
			c.what[w] = true
		case "":
		default:
			return fmt.Errorf("-what %q: want audit and/or backfill", w)
		}
	}
	if c.reps < 1 || c.batch < 1 || c.backfillRoutes < 1 {
		return fmt.Errorf("-reps, -batch and -backfill-routes must be positive")
	}
	if _, err := dbURL(c.adminURL, "x"); err != nil {
		return err
	}
	if c.psql, err = exec.LookPath(c.psql); err != nil {
		return fmt.Errorf("psql: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.work, err = os.MkdirTemp("", "lanegate-bench-*"); err != nil {
		return err
	}
	defer os.RemoveAll(c.work)
	if c.lanegate == "" {
		c.lanegate = filepath.Join(c.work, "lanegate")
		logf("building ./cmd/lanegate")
		b := exec.CommandContext(ctx, "go", "build", "-o", c.lanegate, "./cmd/lanegate")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/lanegate (run the bench from the module root): %w", err)
		}
	} else if c.lanegate, err = filepath.Abs(c.lanegate); err != nil {
		return err
	}
	logf("lanegate under test: %s", treeState(ctx))
	if err := execSQL(ctx, c.adminURL, "SELECT 1"); err != nil {
		return fmt.Errorf("cannot reach the server: %w", err)
	}
	logf("server: %s", serverInfo(ctx, c.adminURL))

	var results []result
	if c.what["audit"] {
		for _, n := range c.routes {
			r, err := benchAudit(ctx, &c, n)
			if err != nil {
				return fmt.Errorf("audit N=%d: %w", n, err)
			}
			results = append(results, r)
		}
	}
	if c.what["backfill"] {
		r, err := benchBackfill(ctx, &c, c.backfillRoutes)
		if err != nil {
			return fmt.Errorf("backfill N=%d: %w", c.backfillRoutes, err)
		}
		results = append(results, r)
	}
	printTable(results)
	return nil
}

// lanegateArgs appends the options every audit and backfill run gets.
func (c *config) lanegateArgs(args ...string) []string {
	if c.timeout != "" {
		args = append(args, "--statement-timeout", c.timeout)
	}
	return args
}

// treeState names the commit the bench built, and whether the work tree
// had uncommitted changes outside bench/ (read-only git commands).
func treeState(ctx context.Context) string {
	rev, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown commit (not a git checkout)"
	}
	state := strings.TrimSpace(string(rev))
	st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		state += " + uncommitted changes"
	}
	return state
}

func serverInfo(ctx context.Context, url string) string {
	v, err := scalar(ctx, url, `SELECT current_setting('server_version'), current_setting('shared_buffers'),
		current_setting('work_mem'), current_setting('max_parallel_workers_per_gather')`)
	if err != nil || len(v) < 4 {
		return "?"
	}
	return fmt.Sprintf("PostgreSQL %s, shared_buffers=%s, work_mem=%s, max_parallel_workers_per_gather=%s", v[0], v[1], v[2], v[3])
}

// prepare creates a database with Launchplane's and lanegate's tables.
func prepare(ctx context.Context, c *config, name string) (string, error) {
	url, err := dbURL(c.adminURL, name)
	if err != nil {
		return "", err
	}
	logf("creating database %s", name)
	if err := createDatabase(ctx, c.adminURL, name, ""); err != nil {
		return "", err
	}
	if err := execSQL(ctx, url, pgtest.LaunchplaneSchemaSQL); err != nil {
		return "", fmt.Errorf("Launchplane schema: %w", err)
	}
	m := proc{name: c.lanegate, args: []string{"migrate", "--database-url", url}, dir: c.work, stdout: devNull()}
	if _, err := m.run(ctx); err != nil {
		return "", err
	}
	return url, nil
}

var null *os.File

func devNull() *os.File {
	if null == nil {
		f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			panic(err)
		}
		null = f
	}
	return null
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

func printTable(results []result) {
	fmt.Println("| what | N | baseline s | lanegate s | ratio | peak RSS MiB | target | met? |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
	for _, r := range results {
		b, _ := summarize(r.base)
		l, rss := summarize(r.lg)
		ratio := l.Seconds() / b.Seconds()
		var targets []string
		met := "n/a"
		if r.maxRatio > 0 || r.maxRSSMiB > 0 {
			met = "yes"
		}
		if r.maxRatio > 0 {
			targets = append(targets, fmt.Sprintf("≤ %.1f×", r.maxRatio))
			if ratio > r.maxRatio {
				met = "NO"
			}
		}
		if r.maxRSSMiB > 0 {
			targets = append(targets, fmt.Sprintf("≤ %d MiB", r.maxRSSMiB))
			if mib(rss) > float64(r.maxRSSMiB) {
				met = "NO"
			}
		}
		target := strings.Join(targets, ", ")
		if target == "" {
			target = "— (informational)"
		}
		fmt.Printf("| %s | %s | %.2f | %.2f | %.2f× | %.1f | %s | %s |\n",
			r.what, count(r.n), b.Seconds(), l.Seconds(), ratio, mib(rss), target, met)
	}
	fmt.Println()
	fmt.Println("Samples (wall seconds, in run order):")
	fmt.Println()
	for _, r := range results {
		_, brss := summarize(r.base)
		fmt.Printf("- %s N=%s: baseline [%s] (peak RSS %.1f MiB); lanegate [%s]\n",
			r.what, count(r.n), walls(r.base), mib(brss), walls(r.lg))
	}
}

// count spells 100000 as 100,000.
func count(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}
