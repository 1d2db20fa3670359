package actioncontract

import (
	"strings"
	"testing"
)

// TestServiceWorkflows: every job that calls the Launchplane service
// through the action (a launchplane-url input) has id-token: write, reads
// contents only, takes the URL from vars.LAUNCHPLANE_URL, and never hands
// the action a Launchplane database URL as the store it reads; and the
// audit, backfill and evidence workflows each have a service variant.
func TestServiceWorkflows(t *testing.T) {
	files := loadWorkflows(t)
	variants := map[string]string{"audit": "", "backfill": "", "evidence": "", "gate": ""}
	for _, f := range files {
		for jobName, j := range f.wf.Jobs {
			for i, st := range j.Steps {
				url, ok := st.With["launchplane-url"]
				if !ok {
					continue
				}
				where := f.name + " job " + jobName + " " + st.label(i)
				perms := permissions(&j.Permissions)
				if perms["id-token"] != "write" {
					t.Errorf("%s: calls the Launchplane service without permissions id-token: write (got %v)", where, perms)
				}
				for scope, level := range perms {
					// The gate posts its commit status and PR comment.
					gateWrites := st.With["command"] == "gate" && (scope == "statuses" || scope == "pull-requests")
					if level == "write" && scope != "id-token" && !gateWrites {
						t.Errorf("%s: a service job needs no %s: write", where, scope)
					}
				}
				if strings.TrimSpace(url) != "${{ vars.LAUNCHPLANE_URL }}" {
					t.Errorf("%s: launchplane-url = %q, want ${{ vars.LAUNCHPLANE_URL }}", where, url)
				}
				// evidence collect records into, and the gate reads evidence
				// from, the database; the service is where records are read.
				if st.With["command"] != "evidence" && st.With["command"] != "gate" && st.With["database-url"] != "" {
					t.Errorf("%s: names the service and a database as the store", where)
				}
				if st.With["command"] == "evidence" && st.With["evidence-action"] != "collect" {
					t.Errorf("%s: only evidence collect reads the service", where)
				}
				variants[st.With["command"]] = f.name
			}
		}
	}
	for cmd, file := range variants {
		if file == "" {
			t.Errorf("no workflow runs %s through the Launchplane service", cmd)
		}
	}
}
