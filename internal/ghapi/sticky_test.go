package ghapi

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/testkit"
)

const (
	bot       = ActionsBotLogin
	listPR7   = "GET /repos/acme/shop/issues/7/comments?per_page=100"
	listPR7p2 = "GET /repos/acme/shop/issues/7/comments?page=2&per_page=100"
	listPR7p3 = "GET /repos/acme/shop/issues/7/comments?page=3&per_page=100"
	createPR7 = "POST /repos/acme/shop/issues/7/comments"
)

func editCall(id int64) string {
	return fmt.Sprintf("PATCH /repos/acme/shop/issues/comments/%d", id)
}

func deleteCall(id int64) string {
	return fmt.Sprintf("DELETE /repos/acme/shop/issues/comments/%d", id)
}

// stickies returns the comments on acme/shop#7 that carry name's marker.
func stickies(f *testkit.GitHub, name string) []testkit.Comment {
	var out []testkit.Comment
	for _, c := range f.IssueComments("acme/shop", 7) {
		if strings.Contains(c.Body, Marker(name)) {
			out = append(out, c)
		}
	}
	return out
}

func TestMarker(t *testing.T) {
	if got, want := Marker("evidence"), "<!-- lanegate:sticky:evidence -->"; got != want {
		t.Fatalf("Marker = %q, want %q", got, want)
	}
	for _, bad := range []string{"", "Evidence", "a b", "a-->", "x/y", strings.Repeat("a", 101)} {
		if ValidateStickyName(bad) == nil {
			t.Errorf("ValidateStickyName(%q) = nil, want error", bad)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Marker with an invalid name did not panic")
		}
	}()
	Marker("no spaces allowed")
}

func TestUpsertStickyLifecycle(t *testing.T) {
	f := newFakeGitHub(t)
	c, _ := newTestClient(t, f)

	// First run: creates exactly one comment.
	res, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "report v1")
	if err != nil {
		t.Fatalf("UpsertSticky: %v", err)
	}
	assertCalls(t, f, listPR7, createPR7, listPR7)
	got := stickies(f, "evidence")
	if len(got) != 1 {
		t.Fatalf("want 1 sticky comment, have %d", len(got))
	}
	if want := "<!-- lanegate:sticky:evidence -->\nreport v1"; got[0].Body != want {
		t.Fatalf("body = %q, want %q", got[0].Body, want)
	}
	if res != (UpsertResult{Action: ActionCreated, CommentID: got[0].ID, URL: stURL(got[0].ID)}) {
		t.Fatalf("result = %+v", res)
	}
	for _, call := range f.Calls() {
		if call.Auth != "Bearer "+f.Token {
			t.Fatalf("%s sent Authorization %q", call, call.Auth)
		}
	}
	id := got[0].ID

	// Unchanged re-run: reads only.
	f.ResetCalls()
	res, err = c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "report v1")
	if err != nil {
		t.Fatalf("UpsertSticky (unchanged): %v", err)
	}
	assertCalls(t, f, listPR7)
	if w := f.Writes(); len(w) != 0 {
		t.Fatalf("unchanged upsert wrote: %v", w)
	}
	if res != (UpsertResult{Action: ActionUnchanged, CommentID: id, URL: stURL(id)}) {
		t.Fatalf("result = %+v", res)
	}

	// Changed body: edits the same comment in place.
	f.ResetCalls()
	res, err = c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "report v2")
	if err != nil {
		t.Fatalf("UpsertSticky (changed): %v", err)
	}
	assertCalls(t, f, listPR7, editCall(id))
	if res != (UpsertResult{Action: ActionUpdated, CommentID: id, URL: stURL(id)}) {
		t.Fatalf("result = %+v", res)
	}
	got = stickies(f, "evidence")
	if len(got) != 1 || got[0].ID != id || got[0].Body != "<!-- lanegate:sticky:evidence -->\nreport v2" {
		t.Fatalf("after edit: %+v", got)
	}
}

func TestUpsertStickyFoundOnLastPage(t *testing.T) {
	f := newFakeGitHub(t)
	for i := 0; i < 230; i++ {
		f.AddComment("acme/shop", 7, fmt.Sprintf("dev%d", i%5), fmt.Sprintf("comment %d", i))
	}
	id := f.AddComment("acme/shop", 7, bot, StickyBody("evidence", "old report"))
	for i := 0; i < 19; i++ {
		f.AddComment("acme/shop", 7, "reviewer", "lgtm")
	}
	c, _ := newTestClient(t, f)

	res, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "old report")
	if err != nil {
		t.Fatalf("UpsertSticky: %v", err)
	}
	assertCalls(t, f, listPR7, listPR7p2, listPR7p3)
	if res != (UpsertResult{Action: ActionUnchanged, CommentID: id, URL: stURL(id)}) {
		t.Fatalf("result = %+v, want unchanged %d", res, id)
	}

	f.ResetCalls()
	res, err = c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "new report")
	if err != nil {
		t.Fatalf("UpsertSticky: %v", err)
	}
	assertCalls(t, f, listPR7, listPR7p2, listPR7p3, editCall(id))
	if res.Action != ActionUpdated || res.CommentID != id {
		t.Fatalf("result = %+v", res)
	}
	if n := len(f.IssueComments("acme/shop", 7)); n != 250 {
		t.Fatalf("comment count = %d, want 250", n)
	}
}

func TestUpsertStickyIgnoresOtherAuthors(t *testing.T) {
	f := newFakeGitHub(t)
	foreign := f.AddComment("acme/shop", 7, "mallory", StickyBody("evidence", "forged evidence"))
	c, _ := newTestClient(t, f)

	res, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "real evidence")
	if err != nil {
		t.Fatalf("UpsertSticky: %v", err)
	}
	assertCalls(t, f, listPR7, createPR7, listPR7)
	if res.Action != ActionCreated || res.CommentID == foreign {
		t.Fatalf("result = %+v", res)
	}
	all := stickies(f, "evidence")
	if len(all) != 2 || all[0].ID != foreign || all[0].Body != StickyBody("evidence", "forged evidence") {
		t.Fatalf("the foreign comment must be left alone: %+v", all)
	}
}

func TestUpsertStickyMarkersCoexist(t *testing.T) {
	f := newFakeGitHub(t)
	c, _ := newTestClient(t, f)

	ev, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "evidence v1")
	if err != nil {
		t.Fatal(err)
	}
	gate, err := c.UpsertSticky(tctx, "acme", "shop", 7, "gate", bot, "gate v1")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Action != ActionCreated || gate.Action != ActionCreated || ev.CommentID == gate.CommentID {
		t.Fatalf("results: %+v %+v", ev, gate)
	}

	f.ResetCalls()
	res, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "evidence v2")
	if err != nil {
		t.Fatal(err)
	}
	assertCalls(t, f, listPR7, editCall(ev.CommentID))
	if res.CommentID != ev.CommentID {
		t.Fatalf("edited %d, want %d", res.CommentID, ev.CommentID)
	}
	if g := stickies(f, "gate"); len(g) != 1 || g[0].Body != StickyBody("gate", "gate v1") {
		t.Fatalf("gate comment changed: %+v", g)
	}
	if e := stickies(f, "evidence"); len(e) != 1 || e[0].Body != StickyBody("evidence", "evidence v2") {
		t.Fatalf("evidence comment: %+v", e)
	}
}

func TestUpsertStickyRaceLoserDeletesOwnCopy(t *testing.T) {
	f := newFakeGitHub(t)
	var racer int64
	f.BeforeCommentCreate = func(f *testkit.GitHub, repo string, issue int) {
		if racer == 0 { // another run's create lands first
			racer = f.AddCommentLocked(repo, issue, bot, StickyBody("evidence", "from the other run")).ID
		}
	}
	c, _ := newTestClient(t, f)

	res, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "from this run")
	if err != nil {
		t.Fatalf("UpsertSticky: %v", err)
	}
	ours := racer + 1
	assertCalls(t, f, listPR7, createPR7, listPR7, deleteCall(ours))
	if res != (UpsertResult{Action: ActionCreated, CommentID: racer, DeletedDuplicates: 1, URL: stURL(racer)}) {
		t.Fatalf("result = %+v (racer %d)", res, racer)
	}
	left := stickies(f, "evidence")
	if len(left) != 1 || left[0].ID != racer {
		t.Fatalf("want exactly the racer's copy %d to survive, have %+v", racer, left)
	}
}

func TestUpsertStickyRaceWinnerKeepsOwnCopy(t *testing.T) {
	f := newFakeGitHub(t)
	var racer int64
	f.AfterCommentCreate = func(f *testkit.GitHub, repo string, issue int) {
		if racer == 0 { // another run's create lands right after ours
			racer = f.AddCommentLocked(repo, issue, bot, StickyBody("evidence", "from the other run")).ID
		}
	}
	c, _ := newTestClient(t, f)

	res, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "from this run")
	if err != nil {
		t.Fatal(err)
	}
	// Ours is the oldest: keep it and leave the racer's copy to its own run.
	assertCalls(t, f, listPR7, createPR7, listPR7)
	if res.Action != ActionCreated || res.CommentID != racer-1 || res.DeletedDuplicates != 0 {
		t.Fatalf("result = %+v (racer %d)", res, racer)
	}

	// Had the other run died before cleaning up, the next run removes it.
	f.ResetCalls()
	res2, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "from this run")
	if err != nil {
		t.Fatal(err)
	}
	assertCalls(t, f, listPR7, deleteCall(racer))
	left := stickies(f, "evidence")
	if len(left) != 1 || left[0].ID != res.CommentID || res2 != (UpsertResult{Action: ActionUnchanged, CommentID: res.CommentID, DeletedDuplicates: 1, URL: stURL(res.CommentID)}) {
		t.Fatalf("want only %d to survive: %+v, %+v", res.CommentID, left, res2)
	}
}

func TestUpsertStickyCleansUpExistingDuplicates(t *testing.T) {
	f := newFakeGitHub(t)
	a := f.AddComment("acme/shop", 7, bot, StickyBody("evidence", "copy a"))
	f.AddComment("acme/shop", 7, "alice", "unrelated")
	b := f.AddComment("acme/shop", 7, bot, StickyBody("evidence", "copy b"))
	d := f.AddComment("acme/shop", 7, bot, StickyBody("evidence", "copy c"))
	c, _ := newTestClient(t, f)

	res, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "fresh")
	if err != nil {
		t.Fatal(err)
	}
	assertCalls(t, f, listPR7, editCall(a), deleteCall(b), deleteCall(d))
	if res != (UpsertResult{Action: ActionUpdated, CommentID: a, DeletedDuplicates: 2, URL: stURL(a)}) {
		t.Fatalf("result = %+v", res)
	}
	left := stickies(f, "evidence")
	if len(left) != 1 || left[0].ID != a || left[0].Body != StickyBody("evidence", "fresh") {
		t.Fatalf("left: %+v", left)
	}
}

func TestUpsertStickyBodyLimit(t *testing.T) {
	f := newFakeGitHub(t)
	c, _ := newTestClient(t, f)

	limit := StickyBodyLimit("evidence")
	if limit != MaxCommentBody-len("<!-- lanegate:sticky:evidence -->")-1 {
		t.Fatalf("StickyBodyLimit = %d", limit)
	}
	_, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, strings.Repeat("é", limit+1))
	if !errors.Is(err, ErrBodyTooLong) {
		t.Fatalf("err = %v, want ErrBodyTooLong", err)
	}
	assertCalls(t, f) // rejected before any request

	// Exactly at the limit (counted in characters, not bytes) is accepted.
	res, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, strings.Repeat("é", limit))
	if err != nil || res.Action != ActionCreated {
		t.Fatalf("at the limit: %+v, %v", res, err)
	}

	if _, err := c.CreateComment(tctx, "acme", "shop", 7, strings.Repeat("x", MaxCommentBody+1)); !errors.Is(err, ErrBodyTooLong) {
		t.Fatalf("CreateComment err = %v, want ErrBodyTooLong", err)
	}
}

func TestUpsertStickyResolvesIdentity(t *testing.T) {
	f := newFakeGitHub(t) // GET /user → 403, as for GITHUB_TOKEN
	f.AddComment("acme/shop", 7, bot, StickyBody("evidence", "same"))
	c, _ := newTestClient(t, f)

	res, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", "", "same")
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != ActionUnchanged {
		t.Fatalf("result = %+v", res)
	}
	assertCalls(t, f, "GET /user", listPR7)

	// The login is cached.
	f.ResetCalls()
	if _, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", "", "same"); err != nil {
		t.Fatal(err)
	}
	assertCalls(t, f, listPR7)
}

func TestUpsertStickyValidation(t *testing.T) {
	f := newFakeGitHub(t)
	c, _ := newTestClient(t, f)
	cases := []struct {
		owner, repo, name string
		number            int
	}{
		{"acme", "shop", "Bad Name", 7},
		{"acme/x", "shop", "evidence", 7},
		{"acme", "../shop", "evidence", 7},
		{"acme", "shop", "evidence", 0},
	}
	for _, tc := range cases {
		if _, err := c.UpsertSticky(tctx, tc.owner, tc.repo, tc.number, tc.name, bot, "x"); err == nil {
			t.Errorf("UpsertSticky(%+v) = nil error", tc)
		}
	}
	assertCalls(t, f)
}

// stURL is the fake's html_url of comment id on issue 7: UpsertSticky
// returns the surviving comment's URL.
func stURL(id int64) string {
	return fmt.Sprintf("https://github.example/acme/shop/issues/7#issuecomment-%d", id)
}
