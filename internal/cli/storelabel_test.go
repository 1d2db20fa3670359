package cli

import (
	"strings"
	"testing"
)

func TestStoreLabel(t *testing.T) {
	for _, tc := range []struct {
		name     string
		flags    storeFlags
		env      map[string]string
		kind, nm string
	}{
		{"state dir flag", flagsOf("state-dir", "state"), nil, "filesystem", "state"},
		{"state dir env", flagsOf(), map[string]string{"LAUNCHPLANE_STATE_DIR": "/srv/lp"}, "filesystem", "/srv/lp"},
		{"url flag", flagsOf("database-url", "postgres://lp:s3cret-pw@db.internal:6432/launchplane?sslmode=require"), nil,
			"postgres", "db.internal:6432/launchplane"},
		{"env url, default port", flagsOf(), map[string]string{"LANEGATE_DATABASE_URL": "postgresql://u:pw@db/lp"}, "postgres", "db:5432/lp"},
		{"ipv6", flagsOf("database-url", "postgres://u:pw@[::1]:5433/x"), nil, "postgres", "[::1]:5433/x"},
		{"key value", flagsOf("database-url", "host=db port=5433 dbname=lp user=u password=s3cret-pw"), nil, "postgres", "db:5433/lp"},
		{"two stores name none", flagsOf("state-dir", "state", "database-url", "postgres://u:s3cret-pw@db/x"), nil, "unknown", "(no store chosen)"},
		{"unparsable", flagsOf("database-url", "postgres://u:s3cret-pw@db:port/x"), nil, "postgres", "(unparsable database URL)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := &Env{Getenv: func(k string) string { return tc.env[k] }}
			got := storeLabel(env, &tc.flags)
			if got.Kind != tc.kind || got.Name != tc.nm {
				t.Errorf("storeLabel = %+v, want %s %q", got, tc.kind, tc.nm)
			}
			if strings.Contains(got.Name, "s3cret") || strings.Contains(got.Name, "pw") {
				t.Errorf("store name %q leaks the password", got.Name)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// FuzzStoreLabelName: whatever the URL, the store name in a report never
// carries its password.
func FuzzStoreLabelName(f *testing.F) {
	for _, s := range []string{"postgres://u:pw@h:1/d", "host=h password=pw", "postgres://u:p%40w@h/d", "pw", "postgres://:pw@/"} {
		f.Add(s, "Secr3tPass")
	}
	f.Fuzz(func(t *testing.T, raw, pass string) {
		if len(pass) < 6 || strings.Contains(raw, pass) || strings.ContainsAny(pass, "@:/?#[]% \t\n='\\") {
			return
		}
		for _, u := range []string{
			"postgres://user:" + pass + "@" + raw,
			"postgres://user:" + pass + "@db/" + raw,
			raw + " password=" + pass,
			"host=db password=" + pass + " " + raw,
		} {
			env := &Env{Getenv: func(string) string { return "" }}
			if name := storeLabel(env, ptr(flagsOf("database-url", u))).Name; strings.Contains(name, pass) {
				t.Fatalf("store name for %q = %q leaks the password", u, name)
			}
		}
	})
}
