package actions

import "testing"

func TestDatabaseURLSecretsFeedMask(t *testing.T) {
	r, stderr := newTestRuntime(t, actionsEnv(), Config{})
	u := "postgres://app:p%40ssw0rd@db:5432/app"
	for _, s := range SecretsFromDatabaseURL(u) {
		r.Mask(s)
	}
	want := "::add-mask::p@ssw0rd\n::add-mask::p%2540ssw0rd\n::add-mask::postgres://app:p%2540ssw0rd@db:5432/app\n"
	if got := stderr.String(); got != want {
		t.Errorf("stderr =\n%q\nwant\n%q", got, want)
	}
	if got := r.Redact("dial " + u + " failed; password p@ssw0rd"); got != "dial *** failed; password ***" {
		t.Errorf("Redact = %q", got)
	}
}
