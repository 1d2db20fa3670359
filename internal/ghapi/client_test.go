package ghapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lanegate/lanegate/internal/testkit"
)

var headSHA = strings.Repeat("c0ffee", 6) + "beef"

func TestNewRequiresToken(t *testing.T) {
	_, err := New(Config{Token: "  "})
	if err == nil || err.Error() != "no GitHub token: set the github-token input or GITHUB_TOKEN" {
		t.Fatalf("err = %v", err)
	}
}

func TestNewAPIURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "https://api.github.com/",
		"https://api.github.com":     "https://api.github.com/",
		"https://api.github.com/":    "https://api.github.com/",
		"https://ghe.example/api/v3": "https://ghe.example/api/v3/",
		"http://127.0.0.1:8080/p/":   "http://127.0.0.1:8080/p/",
	} {
		c, err := New(Config{Token: "t", APIURL: in})
		if err != nil {
			t.Fatalf("New(%q): %v", in, err)
		}
		if got := c.BaseURL(); got != want {
			t.Errorf("APIURL %q → %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"ghe.example/api/v3", "ftp://x/", "https://user:pw@ghe.example/api/v3", "::"} {
		if _, err := New(Config{Token: "t", APIURL: bad}); err == nil {
			t.Errorf("New(APIURL %q) = nil error", bad)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("error leaks credentials: %v", err)
		}
	}
}

func TestUnauthorized(t *testing.T) {
	f := newFakeGitHub(t)
	c, clk := newTestClient(t, f, func(cfg *Config) { cfg.Token = "ghp_wrongSECRETtoken42" })

	_, err := c.ListComments(tctx, "acme", "shop", 7)
	want := "GitHub rejected the token (401): check that github-token is set and not expired"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "ghp_wrongSECRETtoken42") {
		t.Fatalf("err = %v", err)
	}
	assertCalls(t, f, listPR7) // 401 is not retried
	assertSleeps(t, clk)

	// 401 from an injected response, on a write, is reported the same way.
	f2 := newFakeGitHub(t)
	inject(f2, "POST", "", 1, http.StatusUnauthorized, nil, bodyBadCredentials)
	c2, _ := newTestClient(t, f2)
	err = c2.CreateStatus(tctx, "acme", "shop", headSHA, Status{State: "pending", Context: "lanegate/cutover"})
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	assertNoToken(t, f2, err)
}

func TestPermissionErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		call   func(c *Client, f *testkit.GitHub) error
		want   string
	}{
		{
			name: "status 403", status: http.StatusForbidden,
			call: func(c *Client, f *testkit.GitHub) error {
				return c.CreateStatus(tctx, "acme", "shop", headSHA, Status{State: "failure", Context: "lanegate/cutover"})
			},
			want: `GitHub denied "create commit status" (403): the workflow needs "permissions: statuses: write"`,
		},
		{
			name: "comment 403", status: http.StatusForbidden,
			call: func(c *Client, f *testkit.GitHub) error {
				_, err := c.CreateComment(tctx, "acme", "shop", 7, "x")
				return err
			},
			want: `GitHub denied "create comment" (403): the workflow needs "permissions: pull-requests: write" (or "permissions: issues: write" for issues)`,
		},
		{
			name: "sticky 403 on create", status: http.StatusForbidden,
			call: func(c *Client, f *testkit.GitHub) error {
				_, err := c.UpsertSticky(tctx, "acme", "shop", 7, "evidence", bot, "x")
				return err
			},
			want: `GitHub denied "create comment" (403): the workflow needs "permissions: pull-requests: write" (or "permissions: issues: write" for issues)`,
		},
		{
			name: "status 404", status: http.StatusNotFound,
			call: func(c *Client, f *testkit.GitHub) error {
				return c.CreateStatus(tctx, "acme", "shop", headSHA, Status{State: "error", Context: "lanegate/cutover"})
			},
			want: `GitHub denied "create commit status" (404): the workflow needs "permissions: statuses: write", or the target does not exist`,
		},
		{
			name: "files 403", status: http.StatusForbidden,
			call: func(c *Client, f *testkit.GitHub) error {
				_, _, err := c.PullRequestFiles(tctx, "acme", "shop", 7)
				return err
			},
			want: `GitHub denied "list pull request files" (403): the workflow needs "permissions: pull-requests: read"`,
		},
		{
			name: "contents 403", status: http.StatusForbidden,
			call: func(c *Client, f *testkit.GitHub) error {
				_, err := c.FileContent(tctx, "acme", "shop", "lanes.yaml", "main")
				return err
			},
			want: `GitHub denied "read file contents" (403): the workflow needs "permissions: contents: read"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGitHub(t)
			method := "POST"
			if strings.Contains(tc.name, "files") || strings.Contains(tc.name, "contents") {
				method = "GET"
			}
			inject(f, method, "", 1, tc.status, nil, bodyNotAccessible)
			c, clk := newTestClient(t, f)
			err := tc.call(c, f)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant  %s", err, tc.want)
			}
			if !errors.Is(err, ErrPermission) {
				t.Fatalf("errors.Is(err, ErrPermission) = false")
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.Message != "Resource not accessible by integration" {
				t.Fatalf("APIError = %+v", ae)
			}
			assertNoToken(t, f, err)
			assertSleeps(t, clk) // permission errors are not retried
		})
	}
}

func TestEditMissingCommentNamesPermission(t *testing.T) {
	f := newFakeGitHub(t)
	c, _ := newTestClient(t, f)
	err := c.EditComment(tctx, "acme", "shop", 424242, "x")
	want := `GitHub denied "edit comment" (404): the workflow needs "permissions: pull-requests: write" (or "permissions: issues: write" for issues), or the target does not exist`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	assertCalls(t, f, "PATCH /repos/acme/shop/issues/comments/424242")
}

func TestTokenNeverInErrors(t *testing.T) {
	f := newFakeGitHub(t)
	// A (hypothetical) server that echoes the credentials back.
	inject(f, "", "", 3, http.StatusUnprocessableEntity, nil,
		jsonMessage("Validation Failed for Authorization: Bearer "+f.Token, ""))
	inject(f, "", "", 1, http.StatusForbidden, nil, jsonMessage("token "+f.Token+" lacks scope", ""))
	c, _ := newTestClient(t, f)

	var errs []error
	_, err := c.CreateComment(tctx, "acme", "shop", 7, "x")
	errs = append(errs, err)
	errs = append(errs, c.CreateStatus(tctx, "acme", "shop", headSHA, Status{State: "success", Context: "x"}))
	_, err = c.PullRequest(tctx, "acme", "shop", 7)
	errs = append(errs, err)
	_, err = c.FileContent(tctx, "acme", "shop", "lanes.yaml", "")
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d: want an error", i)
		}
		assertNoToken(t, f, err)
		if i < 3 && !strings.Contains(err.Error(), "***") {
			t.Errorf("call %d: expected a redacted message, got %q", i, err)
		}
	}
	var ae *APIError
	if !errors.As(errs[3], &ae) || ae.Kind != KindPermission {
		t.Fatalf("redaction must keep the error chain: %#v", errs[3])
	}
}

func TestValidationDetailsInMessage(t *testing.T) {
	f := newFakeGitHub(t)
	inject(f, "POST", "", 1, http.StatusUnprocessableEntity, nil,
		`{"message":"Validation Failed","errors":[{"resource":"IssueComment","code":"custom","field":"body","message":"body is too long (maximum is 65536 characters)"}]}`)
	c, _ := newTestClient(t, f)
	_, err := c.CreateComment(tctx, "acme", "shop", 7, "x")
	want := `GitHub API error for "create comment" (422): Validation Failed (body is too long (maximum is 65536 characters))`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

func TestCreateStatus(t *testing.T) {
	f := newFakeGitHub(t)
	c, _ := newTestClient(t, f)

	long := strings.Repeat("é", 100) + strings.Repeat("x", 100) // 200 characters
	err := c.CreateStatus(tctx, "acme", "shop", headSHA, Status{
		State: "failure", Context: "lanegate/cutover", Description: long, TargetURL: "https://ci.example/run/1",
	})
	if err != nil {
		t.Fatalf("CreateStatus: %v", err)
	}
	assertCalls(t, f, "POST /repos/acme/shop/statuses/"+headSHA)
	st := f.Statuses()
	if len(st) != 1 {
		t.Fatalf("statuses: %+v", st)
	}
	d := st[0].Description
	if n := utf8.RuneCountInString(d); n != 140 {
		t.Fatalf("description has %d characters, want 140", n)
	}
	if !strings.HasSuffix(d, "…") || !strings.HasPrefix(d, strings.Repeat("é", 100)+"xxx") {
		t.Fatalf("description = %q", d)
	}
	if st[0].State != "failure" || st[0].Context != "lanegate/cutover" || st[0].TargetURL != "https://ci.example/run/1" || st[0].SHA != headSHA {
		t.Fatalf("status = %+v", st[0])
	}

	exact := strings.Repeat("ü", 140)
	if TruncateDescription(exact) != exact {
		t.Fatal("140 characters must not be truncated")
	}

	f.ResetCalls()
	for _, bad := range []struct {
		sha string
		s   Status
	}{
		{headSHA, Status{State: "ok", Context: "x"}},
		{headSHA, Status{State: "success"}},
		{"main", Status{State: "success", Context: "x"}},
	} {
		if err := c.CreateStatus(tctx, "acme", "shop", bad.sha, bad.s); err == nil {
			t.Errorf("CreateStatus(%q, %+v) = nil error", bad.sha, bad.s)
		}
	}
	assertCalls(t, f)
}

func TestPullRequest(t *testing.T) {
	f := newFakeGitHub(t)
	f.SetPull("acme/shop", 7, map[string]any{
		"number": 7, "body": "Migrates orders", "draft": true,
		"head":   map[string]any{"sha": headSHA, "ref": "feature", "repo": map[string]any{"full_name": "contrib/shop"}},
		"base":   map[string]any{"sha": strings.Repeat("b", 40), "ref": "main", "repo": map[string]any{"full_name": "acme/shop"}},
		"labels": []any{map[string]any{"name": "migration"}, map[string]any{"name": "lane:orders"}},
	})
	f.PullMisses["acme/shop#7"] = 2 // not visible yet right after the webhook
	c, clk := newTestClient(t, f)

	pr, err := c.PullRequest(tctx, "acme", "shop", 7)
	if err != nil {
		t.Fatalf("PullRequest: %v", err)
	}
	want := PR{
		Number: 7, HeadSHA: headSHA, BaseSHA: strings.Repeat("b", 40), HeadRef: "feature", BaseRef: "main",
		HeadRepo: "contrib/shop", BaseRepo: "acme/shop", Labels: []string{"migration", "lane:orders"},
		Body: "Migrates orders", Draft: true, IsFork: true,
	}
	if fmt.Sprint(pr) != fmt.Sprint(want) {
		t.Fatalf("PR = %+v\nwant %+v", pr, want)
	}
	assertCalls(t, f, "GET /repos/acme/shop/pulls/7", "GET /repos/acme/shop/pulls/7", "GET /repos/acme/shop/pulls/7")
	assertSleeps(t, clk, 2*time.Second, 4*time.Second)

	// A missing pull request gives up after three attempts.
	f.ResetCalls()
	_, err = c.PullRequest(tctx, "acme", "shop", 8)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if want := `GitHub found nothing for "read pull request" (404): Not Found; if it exists, the workflow needs "permissions: pull-requests: read"`; err.Error() != want {
		t.Fatalf("err = %q\nwant  %q", err, want)
	}
	if n := len(f.Log()); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
}

func TestPullRequestSameRepoIsNotFork(t *testing.T) {
	f := newFakeGitHub(t)
	f.SetPull("acme/shop", 9, map[string]any{
		"number": 9,
		"head":   map[string]any{"sha": headSHA, "ref": "f", "repo": map[string]any{"full_name": "Acme/Shop"}},
		"base":   map[string]any{"sha": headSHA, "ref": "main", "repo": map[string]any{"full_name": "acme/shop"}},
	})
	c, _ := newTestClient(t, f)
	pr, err := c.PullRequest(tctx, "acme", "shop", 9)
	if err != nil || pr.IsFork || pr.Draft {
		t.Fatalf("PR = %+v, %v", pr, err)
	}
}

func TestPullRequestFiles(t *testing.T) {
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("lanes/l%d/file%d.sql", i%7, i)
		}
		return out
	}
	t.Run("capped at 3000", func(t *testing.T) {
		f := newFakeGitHub(t)
		f.SetPullFiles("acme/shop", 7, names(3000))
		c, _ := newTestClient(t, f)
		files, capped, err := c.PullRequestFiles(tctx, "acme", "shop", 7)
		if err != nil {
			t.Fatal(err)
		}
		if !capped || len(files) != 3000 {
			t.Fatalf("capped=%v, %d files", capped, len(files))
		}
		calls := f.Log()
		if len(calls) != 30 {
			t.Fatalf("%d calls, want 30", len(calls))
		}
		if calls[0] != "GET /repos/acme/shop/pulls/7/files?per_page=100" || calls[29] != "GET /repos/acme/shop/pulls/7/files?page=30&per_page=100" {
			t.Fatalf("calls: %s … %s", calls[0], calls[29])
		}
	})
	t.Run("more than the API lists", func(t *testing.T) {
		f := newFakeGitHub(t)
		f.SetPullFiles("acme/shop", 7, names(4500))
		c, _ := newTestClient(t, f)
		files, capped, err := c.PullRequestFiles(tctx, "acme", "shop", 7)
		if err != nil || !capped || len(files) != 3000 || len(f.Log()) != 30 {
			t.Fatalf("capped=%v files=%d calls=%d err=%v", capped, len(files), len(f.Log()), err)
		}
	})
	t.Run("below the cap", func(t *testing.T) {
		f := newFakeGitHub(t)
		f.SetPullFiles("acme/shop", 7, names(250))
		f.SetPullFileField("acme/shop", 7, 0, "status", "renamed")
		f.SetPullFileField("acme/shop", 7, 0, "previous_filename", "old/place.sql")
		c, _ := newTestClient(t, f)
		files, capped, err := c.PullRequestFiles(tctx, "acme", "shop", 7)
		if err != nil || capped || len(files) != 251 {
			t.Fatalf("capped=%v files=%d err=%v", capped, len(files), err)
		}
		if files[0] != "lanes/l0/file0.sql" || files[1] != "old/place.sql" {
			t.Fatalf("files[:2] = %v", files[:2])
		}
		assertCalls(t, f,
			"GET /repos/acme/shop/pulls/7/files?per_page=100",
			"GET /repos/acme/shop/pulls/7/files?page=2&per_page=100",
			"GET /repos/acme/shop/pulls/7/files?page=3&per_page=100")
	})
}

func TestCompareFiles(t *testing.T) {
	base, head := strings.Repeat("b", 40), strings.Repeat("c", 40)
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("lanes/l%d/file%d.sql", i%7, i)
		}
		return out
	}
	t.Run("below the cap, pinned to the two SHAs", func(t *testing.T) {
		f := newFakeGitHub(t)
		f.SetCompare("acme/shop", base, head, names(3))
		f.SetCompareFileField("acme/shop", base, head, 1, "previous_filename", "old/place.sql")
		c, _ := newTestClient(t, f)
		files, capped, err := c.CompareFiles(tctx, "acme", "shop", base, head)
		if err != nil || capped {
			t.Fatalf("capped=%v err=%v", capped, err)
		}
		if want := []string{"lanes/l0/file0.sql", "lanes/l1/file1.sql", "old/place.sql", "lanes/l2/file2.sql"}; !slices.Equal(files, want) {
			t.Fatalf("files %q, want %q", files, want)
		}
		assertCalls(t, f, "GET /repos/acme/shop/compare/"+base+"..."+head)
	})
	t.Run("capped at 300", func(t *testing.T) {
		f := newFakeGitHub(t)
		f.SetCompare("acme/shop", base, head, names(450))
		c, _ := newTestClient(t, f)
		files, capped, err := c.CompareFiles(tctx, "acme", "shop", base, head)
		if err != nil || !capped || len(files) != 300 {
			t.Fatalf("capped=%v files=%d err=%v", capped, len(files), err)
		}
	})
	t.Run("refuses short or non-SHA refs", func(t *testing.T) {
		f := newFakeGitHub(t)
		c, _ := newTestClient(t, f)
		for _, ref := range []string{"main", base[:12], "../" + base} {
			if _, _, err := c.CompareFiles(tctx, "acme", "shop", ref, head); err == nil || !strings.Contains(err.Error(), "full commit SHAs") {
				t.Errorf("CompareFiles(%q): err = %v", ref, err)
			}
		}
		if len(f.Log()) != 0 {
			t.Errorf("calls %q", f.Log())
		}
	})
	t.Run("a missing commit names the permission", func(t *testing.T) {
		f := newFakeGitHub(t)
		c, _ := newTestClient(t, f)
		_, _, err := c.CompareFiles(tctx, "acme", "shop", base, head)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "contents: read") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestFileContent(t *testing.T) {
	f := newFakeGitHub(t)
	yaml := strings.Repeat("lanes:\n  - name: orders\n    paths: [db/orders/**]\n", 20)
	f.SetContent("acme/shop", "base123", ".github/lanes.yaml", yaml)
	f.SetContent("acme/shop", "main", "lanes.yaml", "lanes: []\n")
	c, _ := newTestClient(t, f)

	got, err := c.FileContent(tctx, "acme", "shop", ".github/lanes.yaml", "base123")
	if err != nil || string(got) != yaml {
		t.Fatalf("FileContent = %q, %v", got, err)
	}
	got, err = c.FileContent(tctx, "acme", "shop", "lanes.yaml", "")
	if err != nil || string(got) != "lanes: []\n" {
		t.Fatalf("FileContent (default ref) = %q, %v", got, err)
	}
	_, err = c.FileContent(tctx, "acme", "shop", "lanes.yaml", "other")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if want := `GitHub found nothing for "read file contents" (404): Not Found; if it exists, the workflow needs "permissions: contents: read"`; err.Error() != want {
		t.Fatalf("err = %q", err)
	}
	assertCalls(t, f,
		"GET /repos/acme/shop/contents/.github/lanes.yaml?ref=base123",
		"GET /repos/acme/shop/contents/lanes.yaml",
		"GET /repos/acme/shop/contents/lanes.yaml?ref=other")

	if _, err := c.FileContent(tctx, "acme", "shop", "../etc/passwd", ""); err == nil {
		t.Fatal("want an error for a path with ..")
	}
}

func TestAuthenticated(t *testing.T) {
	t.Run("user token", func(t *testing.T) {
		f := newFakeGitHub(t)
		f.UserLogin = "octocat"
		c, _ := newTestClient(t, f)
		for i := 0; i < 2; i++ {
			login, err := c.Authenticated(tctx)
			if err != nil || login != "octocat" {
				t.Fatalf("Authenticated = %q, %v", login, err)
			}
		}
		assertCalls(t, f, "GET /user")
	})
	t.Run("installation token falls back to the bot", func(t *testing.T) {
		f := newFakeGitHub(t)
		c, _ := newTestClient(t, f)
		login, err := c.Authenticated(tctx)
		if err != nil || login != "github-actions[bot]" {
			t.Fatalf("Authenticated = %q, %v", login, err)
		}
		assertCalls(t, f, "GET /user")
	})
	t.Run("identity override", func(t *testing.T) {
		f := newFakeGitHub(t)
		c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Identity = "lanegate-app[bot]" })
		login, err := c.Authenticated(tctx)
		if err != nil || login != "lanegate-app[bot]" {
			t.Fatalf("Authenticated = %q, %v", login, err)
		}
		assertCalls(t, f)
	})
	t.Run("rate limited is not mistaken for an installation token", func(t *testing.T) {
		f := newFakeGitHub(t)
		inject(f, "GET", "/user", 1, http.StatusForbidden, nil, bodySecondary)
		c, _ := newTestClient(t, f, func(cfg *Config) { cfg.MaxRetries = -1 })
		if _, err := c.Authenticated(tctx); !errors.Is(err, ErrRateLimited) {
			t.Fatalf("err = %v, want ErrRateLimited", err)
		}
	})
	t.Run("bad token", func(t *testing.T) {
		f := newFakeGitHub(t)
		c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Token = "nope" })
		if _, err := c.Authenticated(tctx); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("err = %v, want ErrUnauthorized", err)
		}
	})
}

func TestPrefixIsHonoured(t *testing.T) {
	f := newFakeGitHub(t)
	c, _ := newTestClient(t, f)
	if _, err := c.ListComments(tctx, "acme", "shop", 7); err != nil {
		t.Fatal(err)
	}
	for _, call := range f.Calls() {
		if strings.HasPrefix(call.Path, "!") {
			t.Fatalf("request outside the API prefix: %s", call)
		}
	}
}
