package pg

import (
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/redact"
)

func TestDatabaseName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://lanegate_ro:pw@db.internal:5432/launchplane?sslmode=verify-full", "db.internal:5432/launchplane"},
		{"postgresql://u:pw@db/launchplane", "db:5432/launchplane"},
		{"postgres:///x", "(default host):5432/x"},
		{"postgres://u@[::1]:6543/db", "[::1]:6543/db"},
		{"postgres:///db?host=/run/postgresql&port=5433", "/run/postgresql port 5433/db"},
		{"host=db.internal port=5433 dbname=lp user=u password=secret", "db.internal:5433/lp"},
		{"host=db password='a b'", "db:5432/(default database)"},
		{"host='db x' dbname=lp", redact.UnparsableDatabaseURL},
		{"postgres://u:pw@db:bad/x", redact.UnparsableDatabaseURL},
	}
	for _, tt := range tests {
		if got := DatabaseName(tt.in); got != tt.want {
			t.Errorf("DatabaseName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzDatabaseName: the printed name is built from host, port and database
// only, so a password never shows, however the URL is written.
func FuzzDatabaseName(f *testing.F) {
	for _, s := range []string{"postgres://u:%s@h:1/d", "host=h password=%s dbname=d", "postgres://u@h/d?password=%s", "postgres://u:%s@/d?host=/tmp"} {
		f.Add(s, "s3cr3t-pw")
	}
	f.Fuzz(func(t *testing.T, format, password string) {
		if len(password) < 6 || strings.ContainsAny(password, " '\\/@:?&=#%[]") || !strings.Contains(format, "%s") {
			return
		}
		u := strings.Replace(format, "%s", password, 1)
		if strings.Count(u, password) != 1 {
			return
		}
		// Only a password placed where a password goes must stay hidden.
		inPasswordSlot := strings.Contains(u, ":"+password+"@") || strings.Contains(u, "password="+password)
		if got := DatabaseName(u); inPasswordSlot && strings.Contains(got, password) {
			t.Fatalf("DatabaseName(%q) = %q shows the password", u, got)
		}
	})
}
