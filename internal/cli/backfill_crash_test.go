package cli_test

// Crash safety: a real lanegate process applying a large plan is killed with
// SIGKILL at random moments. After every kill the store must hold either
// none of the plan or all of it (Postgres), or be rolled back exactly by
// --recover (filesystem).

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/testkit"
)

const (
	bfCrashKills    = 20
	bfCrashMaxDelay = 1500 * time.Millisecond
)

// bfCrashSeed is LANEGATE_TEST_CRASH_SEED when set (to replay a failure),
// else the clock.
func bfCrashSeed(t *testing.T) uint64 {
	if v := os.Getenv("LANEGATE_TEST_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("LANEGATE_TEST_CRASH_SEED=%q: %v", v, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// bfProc is one lanegate process started by a crash test.
type bfProc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}
}

// bfStart starts lanegate with a clean environment (nothing from the test's
// own, so a CI runner's GITHUB_* cannot leak in) and TMPDIR inside the test,
// so the report spools a killed process leaves behind are cleaned up.
func bfStart(t *testing.T, bin, tmp string, args ...string) *bfProc {
	t.Helper()
	p := &bfProc{done: make(chan struct{})}
	p.cmd = (&testkit.Binary{Path: bin}).Command(testkit.Invocation{Args: args, Dir: tmp,
		Env: map[string]string{"PATH": os.Getenv("PATH"), "HOME": tmp, "TMPDIR": tmp, "GITHUB_ACTOR": "crash-test"}})
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	return p
}

// killAfter sends SIGKILL after delay and reports whether the process was
// still running then (false: it had exited by itself, with code).
func (p *bfProc) killAfter(delay time.Duration) (killed bool, code int) {
	select {
	case <-p.done:
		return false, p.cmd.ProcessState.ExitCode()
	case <-time.After(delay):
	}
	p.cmd.Process.Kill()
	<-p.done
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return true, -1
	}
	return false, p.cmd.ProcessState.ExitCode()
}

// wait waits for a process that must succeed.
func (p *bfProc) wait(t *testing.T, what string) {
	t.Helper()
	<-p.done
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("%s: exit %d\n%s", what, code, p.stderr.String())
	}
}

// bfKillPlan says when to kill. Even-numbered kills come after a uniform
// random delay in [0, 1.5s). Those can all land before the writes begin on
// a slow machine, so odd-numbered kills are aimed at the write phase: they
// wait until writing() reports that the writes have begun and then kill
// after a uniform random delay in [0, span), where span is how long the
// writes took in a calibration run.
type bfKillPlan struct {
	window, span time.Duration
	writing      func() bool
}

// kill stops p as planned and reports whether it was still running.
func (k bfKillPlan) kill(t *testing.T, p *bfProc, rnd *rand.Rand, i int) (delay time.Duration, killed bool, code int) {
	t.Helper()
	if i%2 == 0 {
		delay = time.Duration(rnd.Int64N(int64(k.window)))
		killed, code = p.killAfter(delay)
		return delay, killed, code
	}
	start := time.Now()
	for !k.writing() {
		select {
		case <-p.done:
			return time.Since(start), false, p.cmd.ProcessState.ExitCode()
		default:
		}
		time.Sleep(500 * time.Microsecond)
	}
	after := time.Duration(rnd.Int64N(int64(k.span) + int64(time.Millisecond)))
	killed, code = p.killAfter(after)
	return time.Since(start), killed, code
}

// bfCalibrate runs one apply while polling writing and written (the writes
// have begun / are done and durable), stops it once they are done (what
// follows is only the report) and derives the kill plan.
func bfCalibrate(t *testing.T, what string, p *bfProc, writing, written func() bool) bfKillPlan {
	t.Helper()
	start := time.Now()
	from, to := time.Duration(-1), time.Duration(-1)
	for running := true; running && to < 0; {
		select {
		case <-p.done:
			running = false
		default:
		}
		el := time.Since(start)
		if from < 0 && writing() {
			from = el
		}
		if written() {
			to = el
		}
		time.Sleep(500 * time.Microsecond)
	}
	if killed, code := p.killAfter(0); !killed && code != 0 {
		t.Fatalf("%s: calibration apply exited %d\n%s", what, code, p.stderr.String())
	}
	if to < 0 {
		t.Fatalf("%s: the calibration apply finished without its writes becoming visible", what)
	}
	if from < 0 || from > to {
		from = to // the write phase was too short to observe
	}
	k := bfKillPlan{window: bfCrashMaxDelay, span: to - from, writing: writing}
	t.Logf("%s: calibration apply writes from %v to %v; kills in [0, %v) or within %v of the writes starting", what,
		from.Round(time.Millisecond), to.Round(time.Millisecond), k.window.Round(time.Millisecond), k.span.Round(time.Millisecond))
	return k
}

var bfDigestLine = regexp.MustCompile(`plan digest: (sha256:[0-9a-f]{64})`)

// bfPlanDigest runs an in-process table dry run and returns its digest.
func bfPlanDigest(t *testing.T, s bfStore, wantCreates int) string {
	t.Helper()
	out := bfBackfill(t, s)
	m := bfDigestLine.FindStringSubmatch(out.Stdout)
	if out.Code != 0 || m == nil || !strings.Contains(out.Stdout, strconv.Itoa(wantCreates)+" to create") {
		t.Fatalf("dry run: want exit 0 with %d to create, got %s", wantCreates, out)
	}
	return m[1]
}

func TestBackfillCrashSafety(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds lanegate and kills it 40 times")
	}
	bin := testkit.Build(t).Path
	seed := bfCrashSeed(t)
	t.Logf("crash seed %d (replay with LANEGATE_TEST_CRASH_SEED=%d)", seed, seed)
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		bfCrashPostgres(t, bin, rand.New(rand.NewPCG(seed, 1)))
	})
	t.Run("filesystem", func(t *testing.T) {
		t.Parallel()
		bfCrashFilesystem(t, bin, rand.New(rand.NewPCG(seed, 2)))
	})
}

func bfCrashPostgres(t *testing.T, bin string, rnd *rand.Rand) {
	const n = 20000
	s := bfNewPG(t, bfManyPairs(n, "crash"), true)
	digest := bfPlanDigest(t, s, n)
	tmp := t.TempDir()
	args := []string{"backfill", "--database-url", s.url, "--no-lanes", "--apply", "--plan-digest", digest,
		"--reason", "crash test", "--format", "table"}
	counts := func() (rows, ours, runs, items int) {
		return s.count(t, "SELECT count(*) FROM launchplane_provider_targets"),
			s.count(t, "SELECT count(*) FROM launchplane_provider_targets WHERE "+bfLanegateLabel),
			s.count(t, "SELECT count(*) FROM lanegate_runs"),
			s.count(t, "SELECT count(*) FROM lanegate_backfill_items")
	}
	undo := func() {
		s.exec(t, "DELETE FROM launchplane_provider_targets WHERE "+bfLanegateLabel)
		s.exec(t, "DELETE FROM lanegate_runs")
	}
	// waitIdle waits until the killed client's server backend has gone, so
	// a COMMIT the server was still running is visible before we look.
	waitIdle := func() {
		deadline := time.Now().Add(60 * time.Second)
		for s.count(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND pid <> pg_backend_pid() AND backend_type = 'client backend'`) > 0 {
			if time.Now().After(deadline) {
				t.Fatal("the killed process's backend is still connected after 60s")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// Calibrate: the writes run from the first INSERT to the commit (the
	// run row becomes visible with the rows, in the same transaction).
	inserting := func() bool {
		return s.count(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND pid <> pg_backend_pid() AND query LIKE '%INSERT INTO launchplane_provider_targets%'`) > 0
	}
	committed := func() bool { return s.count(t, "SELECT count(*) FROM lanegate_runs") > 0 }
	kp := bfCalibrate(t, "postgres", bfStart(t, bin, tmp, args...), inserting, committed)
	if rows, ours, runs, items := counts(); rows != n || ours != n || runs != 1 || items != n {
		t.Fatalf("calibration apply: %d rows (%d by lanegate), %d runs, %d items; want %d, 1 run", rows, ours, runs, items, n)
	}
	undo()

	var none, all, killedRunning int
	for i := 0; i < bfCrashKills; i++ {
		p := bfStart(t, bin, tmp, args...)
		delay, killed, code := kp.kill(t, p, rnd, i)
		if !killed && code != 0 {
			t.Fatalf("kill %d: apply exited %d by itself before the kill:\n%s", i, code, p.stderr.String())
		}
		if killed {
			killedRunning++
		}
		waitIdle()
		rows, ours, runs, items := counts()
		t.Logf("kill %2d after %5dms (killed=%v): %d rows, %d runs", i, delay.Milliseconds(), killed, ours, runs)
		switch {
		case rows == 0 && ours == 0 && runs == 0 && items == 0:
			none++
		case rows == n && ours == n && runs == 1 && items == n:
			all++
			undo() // so the next kill has the same work to do
		default:
			t.Fatalf("kill %d after %v left %d provider-target rows (%d by lanegate), %d runs, %d items: want none or all %d with one run",
				i, delay, rows, ours, runs, items, n)
		}
	}
	t.Logf("postgres: %d kills, %d while running; %d left nothing, %d found the whole plan committed", bfCrashKills, killedRunning, none, all)
	if none == 0 {
		t.Errorf("no kill landed before the commit; the test proved nothing")
	}
	if killedRunning < bfCrashKills/2 {
		t.Errorf("only %d kills hit a running apply", killedRunning)
	}

	// Converge: an uninterrupted apply of the same reviewed plan.
	bfStart(t, bin, tmp, args...).wait(t, "final apply")
	if rows, ours, runs, items := counts(); rows != n || ours != n || runs != 1 || items != n {
		t.Fatalf("after the final apply: %d rows (%d by lanegate), %d runs, %d items; want %d, 1 run", rows, ours, runs, items, n)
	}
	if dup := s.count(t, `SELECT count(*) FROM (SELECT 1 FROM launchplane_provider_targets
		GROUP BY provider_id, target_category, target_id HAVING count(*) > 1) d`); dup != 0 {
		t.Errorf("%d identities bound to more than one route", dup)
	}
}

// bfWriteStateQuick writes routes exactly as fixture.WriteState does (same
// paths, same bytes) but without an fsync per file, which would make a
// 6000-file fixture take tens of seconds on a real disk.
func bfWriteStateQuick(t *testing.T, dir string, routes []fixture.Route) {
	t.Helper()
	write := func(kind record.Kind, ctx, inst string, payload *record.Object) {
		p := filepath.Join(dir, kind.Dir(), record.FileName(ctx, inst))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, fsstore.Encode(payload), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range routes {
		if r.Target != nil {
			write(record.KindDokployTarget, r.Target.Context, r.Target.Instance, r.Target.Payload())
		}
		if r.TargetID != nil {
			write(record.KindDokployTargetID, r.TargetID.Context, r.TargetID.Instance, r.TargetID.Payload())
		}
		if r.Provider != nil {
			write(record.KindProviderTarget, r.Provider.Context, r.Provider.Instance, r.Provider.Payload())
		}
	}
}

// bfFastTempDir is a temporary directory on tmpfs when the system has one.
// SIGKILL does not lose the page cache, so fsync plays no part in what the
// crash test checks; on tmpfs it costs nothing, so the kills can cover the
// whole apply within the time budget.
func bfFastTempDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "lanegate-bf-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

func bfCrashFilesystem(t *testing.T, bin string, rnd *rand.Rand) {
	const n = 3000
	// A complete route keeps the provider-target directory in place.
	routes := append(bfManyPairs(n, "crash"), bfWithRow(bfPair("done", "prod", "compose", "done", "done", "cmp-done"), nil))
	dir := filepath.Join(bfFastTempDir(t), "state")
	bfWriteStateQuick(t, dir, routes)
	s := &bfFS{dir: dir}
	// The quick writer must produce what fixture.WriteState produces.
	ref := bfNewFS(t, routes[:3])
	for _, r := range routes[:3] {
		for _, k := range []record.Kind{record.KindDokployTarget, record.KindDokployTargetID} {
			rel := filepath.Join(k.Dir(), record.FileName(r.Target.Context, r.Target.Instance))
			a, _ := os.ReadFile(filepath.Join(dir, rel))
			b, _ := os.ReadFile(filepath.Join(ref.dir, rel))
			if !bytes.Equal(a, b) || len(a) == 0 {
				t.Fatalf("quick fixture writer differs from fixture.WriteState on %s", rel)
			}
		}
	}
	digest := bfPlanDigest(t, s, n)
	before := bfTree(t, dir, false, ".locks")
	tmp := t.TempDir()
	args := []string{"backfill", "--state-dir", dir, "--no-lanes", "--apply", "--plan-digest", digest,
		"--reason", "crash test", "--format", "table"}
	journal := filepath.Join(dir, ".lanegate", "backfill-journal.json")

	// undo removes a completed apply's rows and record, so the next kill has
	// the same work to do, and checks that it changed nothing else.
	undo := func(what string) {
		for k := range s.created(t) {
			c, inst, _ := strings.Cut(k, "/")
			if err := os.Remove(filepath.Join(s.providerDir(), record.FileName(c, inst))); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.RemoveAll(filepath.Join(dir, ".lanegate")); err != nil {
			t.Fatal(err)
		}
		if d := bfTreeDiff(before, bfTree(t, dir, false, ".locks")); d != "" {
			t.Fatalf("%s: a completed apply changed more than its rows and record:\n%s", what, d)
		}
	}

	// Calibrate: the writes run while the journal exists.
	journalExists := func() bool {
		_, err := os.Stat(journal)
		return err == nil
	}
	seen := false
	kp := bfCalibrate(t, "filesystem", bfStart(t, bin, tmp, args...), journalExists, func() bool {
		if journalExists() {
			seen = true
			return false
		}
		return seen
	})
	if got := len(s.created(t)); got != n {
		t.Fatalf("calibration apply created %d files, want %d", got, n)
	}
	undo("calibration apply")

	var recovered, none, all, killedRunning int
	for i := 0; i < bfCrashKills; i++ {
		p := bfStart(t, bin, tmp, args...)
		delay, killed, code := kp.kill(t, p, rnd, i)
		if !killed && code != 0 {
			t.Fatalf("kill %d: apply exited %d by itself before the kill:\n%s", i, code, p.stderr.String())
		}
		if killed {
			killedRunning++
		}
		created := len(s.created(t))
		_, jerr := os.Stat(journal)
		t.Logf("kill %2d after %5dms (killed=%v): %d files, journal=%v", i, delay.Milliseconds(), killed, created, jerr == nil)
		switch {
		case jerr == nil:
			// Interrupted mid-apply: readers refuse the state until recovery.
			a := lanegate.In(t.TempDir(), bfEnv(), "audit", "--state-dir", dir, "--no-lanes")
			if a.Code != 3 || !strings.Contains(a.Stderr, "interrupted lanegate backfill") || !strings.Contains(a.Stderr, "--recover") {
				t.Fatalf("kill %d: audit of an interrupted state: want exit 3 naming the interrupted backfill, got %s", i, a)
			}
			rec := lanegate.In(t.TempDir(), bfEnv(), "backfill", "--state-dir", dir, "--recover")
			if rec.Code != 0 || !strings.Contains(rec.Stderr, "recovery removed "+strconv.Itoa(created)+" file(s)") {
				t.Fatalf("kill %d: --recover with %d created files: %s", i, created, rec)
			}
			if d := bfTreeDiff(before, bfTree(t, dir, false, ".locks")); d != "" {
				t.Fatalf("kill %d: --recover did not restore the state exactly:\n%s", i, d)
			}
			recovered++
		case created == n:
			runs := s.runs(t)
			if len(runs) != 1 || runs[0].Reason != "crash test" || runs[0].Digest != digest {
				t.Fatalf("kill %d: complete apply without its run record: %+v", i, runs)
			}
			undo(fmt.Sprintf("kill %d", i))
			all++
		case created == 0:
			// Killed before the journal was in place: nothing of the plan
			// was written. Only lanegate's own .lanegate directory may hold
			// the temp file of a journal that was never renamed into place.
			after := bfTree(t, dir, false, ".locks")
			for k := range after {
				if k == ".lanegate" || strings.HasPrefix(k, ".lanegate/.backfill-journal.json.") {
					delete(after, k)
				}
			}
			if d := bfTreeDiff(before, after); d != "" {
				t.Fatalf("kill %d: no journal and no rows, but the state changed:\n%s", i, d)
			}
			os.RemoveAll(filepath.Join(dir, ".lanegate"))
			none++
		default:
			t.Fatalf("kill %d after %v: %d of %d rows created and no journal to roll them back", i, delay, created, n)
		}
	}
	t.Logf("filesystem: %d kills, %d while running; %d recovered from the journal, %d left nothing, %d found the whole plan applied",
		bfCrashKills, killedRunning, recovered, none, all)
	if recovered == 0 {
		t.Errorf("no kill landed while the apply was writing; the test proved nothing")
	}

	// Converge: an uninterrupted apply of the same reviewed plan.
	bfStart(t, bin, tmp, args...).wait(t, "final apply")
	runs := s.runs(t)
	if len(runs) != 1 {
		t.Fatalf("%d run records after the final apply, want 1", len(runs))
	}
	bfWantRows(t, s, bfExpectedAll(routes), runs[0].RunID)
	if _, err := os.Stat(journal); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal left after the final apply (stat err %v)", err)
	}
	if a := lanegate.In(t.TempDir(), bfEnv(), "audit", "--state-dir", dir, "--no-lanes"); a.Code != 0 {
		t.Errorf("audit after the final apply: %s", a)
	}
}
