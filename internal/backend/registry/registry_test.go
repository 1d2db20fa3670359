package registry

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/backend"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// The one precedence rule, with the exact messages the command layer shows.
func TestChoose(t *testing.T) {
	const db, other = "postgres://u:s3cret@db:5432/lp", "postgres://u:s3cret@elsewhere/x"
	tests := []struct {
		name    string
		flags   map[string]string
		vars    map[string]string
		want    string // Spec.String()
		wantErr string // exact error text
	}{
		{name: "state-dir flag beats the database env", flags: map[string]string{"filesystem": "state"},
			vars: map[string]string{"LANEGATE_DATABASE_URL": db}, want: "filesystem state (from --state-dir)"},
		{name: "database-url flag beats the state env", flags: map[string]string{"postgres": db},
			vars: map[string]string{"LAUNCHPLANE_STATE_DIR": "/srv"}, want: "postgres db:5432/lp (from --database-url)"},
		{name: "two flags", flags: map[string]string{"filesystem": "state", "postgres": db},
			wantErr: "--state-dir and --database-url name two record stores: pass only one"},
		{name: "two env kinds", vars: map[string]string{"LAUNCHPLANE_DATABASE_URL": db, "LAUNCHPLANE_STATE_DIR": "/srv"},
			wantErr: "LAUNCHPLANE_DATABASE_URL and LAUNCHPLANE_STATE_DIR name two record stores: pass --database-url or --state-dir to pick one, or unset one of them"},
		{name: "disagreeing URL variables", vars: map[string]string{"LANEGATE_DATABASE_URL": db, "LAUNCHPLANE_DATABASE_URL": other},
			wantErr: "LANEGATE_DATABASE_URL and LAUNCHPLANE_DATABASE_URL name different databases (db:5432/lp, elsewhere:5432/x): unset one, or pass --database-url"},
		{name: "agreeing URL variables", vars: map[string]string{"LANEGATE_DATABASE_URL": db, "LAUNCHPLANE_DATABASE_URL": db},
			want: "postgres db:5432/lp (from LANEGATE_DATABASE_URL)"},
		{name: "second URL variable alone", vars: map[string]string{"LAUNCHPLANE_DATABASE_URL": db},
			want: "postgres db:5432/lp (from LAUNCHPLANE_DATABASE_URL)"},
		{name: "none", wantErr: "no record store chosen: pass --state-dir DIR, --database-url URL or --launchplane-url URL (or set LAUNCHPLANE_STATE_DIR / LANEGATE_DATABASE_URL / LAUNCHPLANE_URL)"},
		{name: "service flag beats the state env", flags: map[string]string{"launchplane": "https://lp.example/"},
			vars: map[string]string{"LAUNCHPLANE_STATE_DIR": "/srv"}, want: "launchplane https://lp.example (from --launchplane-url)"},
		{name: "service and database flags", flags: map[string]string{"postgres": db, "launchplane": "https://lp.example"},
			wantErr: "--database-url and --launchplane-url name two record stores: pass only one"},
		{name: "service and state env", vars: map[string]string{"LAUNCHPLANE_URL": "https://lp", "LAUNCHPLANE_STATE_DIR": "/srv"},
			wantErr: "LAUNCHPLANE_URL and LAUNCHPLANE_STATE_DIR name two record stores: pass --launchplane-url or --state-dir to pick one, or unset one of them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Choose(tt.flags, env(tt.vars))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				var ce *backend.ConfigError
				if !errors.As(err, &ce) && !errors.Is(err, ErrNoStore) {
					t.Errorf("err %T is neither a ConfigError nor ErrNoStore", err)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("spec = %q, want %q", got.String(), tt.want)
			}
		})
	}
}

// A path target is announced resolved against the working directory and
// reported as given.
func TestChoosePathTarget(t *testing.T) {
	s, err := Choose(map[string]string{"filesystem": "state"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	s.WorkDir = "/work"
	if s.Location() != "/work/state" || s.String() != "filesystem /work/state (from --state-dir)" || s.Name != "state" {
		t.Errorf("location %q string %q name %q", s.Location(), s.String(), s.Name)
	}
}

// A new backend is one Driver in the list: its flag, environment variable
// and messages follow, with no other change.
func TestChooseTakesANewDriver(t *testing.T) {
	saved := drivers
	defer func() { drivers = saved }()
	opened := false
	drivers = append(append([]backend.Driver(nil), saved...), backend.Driver{
		Kind: "rehearsal", Flag: "rehearsal-url", Metavar: "URL", Env: []string{"REHEARSAL_URL"}, Differ: "services",
		Name: func(u string) string { return "svc" },
		Open: func(ctx context.Context, s backend.Spec) (backend.Backend, error) { opened = true; return nil, nil },
	})
	s, err := Choose(map[string]string{"rehearsal": "https://lp.example"}, env(nil))
	if err != nil || s.String() != "rehearsal svc (from --rehearsal-url)" {
		t.Fatalf("spec %q, err %v", s.String(), err)
	}
	if _, err := Open(context.Background(), s); err != nil || !opened {
		t.Fatalf("Open: %v (opened %v)", err, opened)
	}
	_, err = Choose(nil, env(map[string]string{"REHEARSAL_URL": "https://lp", "LAUNCHPLANE_STATE_DIR": "/srv"}))
	if err == nil || err.Error() != "REHEARSAL_URL and LAUNCHPLANE_STATE_DIR name two record stores: pass --rehearsal-url or --state-dir to pick one, or unset one of them" {
		t.Fatalf("err = %v", err)
	}
	if msg := NoStoreMessage(); msg != "no record store chosen: pass --state-dir DIR, --database-url URL, --launchplane-url URL or --rehearsal-url URL (or set LAUNCHPLANE_STATE_DIR / LANEGATE_DATABASE_URL / LAUNCHPLANE_URL / REHEARSAL_URL)" {
		t.Fatalf("no-store message = %q", msg)
	}
}
