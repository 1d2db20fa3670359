package lanes

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// Each malformed file under testdata/bad and every error it must produce,
// in order; the test puts the file name in front of each.
var badFiles = []struct {
	file string
	want []string
}{
	{"syntax.yaml", []string{
		`:3: invalid YAML: found character that cannot start any token`,
	}},
	{"unknown_key.yaml", []string{
		`:2:1: version: unknown key "version" (allowed: schema_version, tracking_issue, retire_window, defaults, lanes)`,
		`:8:5: lanes[0].drvier: unknown key "drvier" (allowed: route, product, driver, wave, stage, requires, evidence, base_url, health_url, health, paths)`,
		`:10:7: lanes[0].health.expect: unknown key "expect" (allowed: expect_status, allow_private, timeout)`,
		`:12:29: lanes[0].evidence.deploy.min_age: unknown key "min_age" (allowed: max_age)`,
	}},
	{"wrong_type.yaml", []string{
		`:4:14: lanes[0].product: expected a string, got 123`,
		`:6:11: lanes[0].wave: must be an integer >= 1, got "one"`,
		`:7:15: lanes[0].requires: expected a sequence, got "b/y"`,
		`:9:22: lanes[0].health.allow_private: expected true or false, got "yes"`,
		`:10:12: lanes[0].paths: expected a sequence, got "products/a/**"`,
		`:11:5: lanes[1]: expected a mapping, got "just-a-string"`,
	}},
	{"missing_required.yaml", []string{
		`:3:5: lanes[0].product: missing required key`,
		`:3:5: lanes[0].driver: missing required key`,
		`:5:5: lanes[1].route: missing required key`,
		`:9:15: lanes[1].evidence.deploy.max_age: missing required key`,
	}},
	{"schema_missing.yaml", []string{
		`:2:1: schema_version: missing required key`,
	}},
	{"schema_version.yaml", []string{
		`:1:17: schema_version: unsupported schema version 2 (this lanegate reads version 1)`,
		`:4:1: multiple YAML documents are not supported; keep one plan per file`,
	}},
	{"schema_string.yaml", []string{
		`:1:17: schema_version: must be the integer 1, got "1"`,
		`:2:8: lanes: must list at least one lane`,
	}},
	{"duplicate_key.yaml", []string{
		`:7:5: lanes[0].wave: duplicate key "wave" (first defined at line 6)`,
		`:8:1: schema_version: duplicate key "schema_version" (first defined at line 1)`,
	}},
	{"duplicate_lane.yaml", []string{
		`:11:12: lanes[2].route: duplicate lane "a/x" (first defined at line 3)`,
	}},
	{"requires.yaml", []string{
		`:7:16: lanes[0].requires[0]: lane "a/x" cannot require itself`,
		`:7:21: lanes[0].requires[1]: requires unknown lane "nope/none"`,
		`:7:32: lanes[0].requires[2]: duplicate requirement "a/x"`,
		`:7:37: lanes[0].requires[3]: invalid route "broken": want "context/instance"`,
		`:7:47: lanes[0].requires[4]: expected a string, got 7`,
	}},
	{"cycle.yaml", []string{
		`:17:16: lanes[2].requires[0]: dependency cycle: a/x -> b/y -> c/z -> a/x`,
	}},
	{"later_wave.yaml", []string{
		`:7:16: lanes[0].requires[0]: requires "late/testing" from wave 2, but this lane is in wave 1; a lane may only require lanes in the same or an earlier wave`,
	}},
	{"bad_enum.yaml", []string{
		`:5:13: lanes[0].driver: unknown driver "docker" (allowed: odoo, verireel, generic-web)`,
		`:7:12: lanes[0].stage: unknown stage "done" (allowed: dokploy, provider-target, retired)`,
		`:9:7: lanes[0].evidence.deploi: unknown evidence kind "deploi" (allowed: deploy, promotion, health, authority)`,
	}},
	{"bad_duration.yaml", []string{
		`:2:16: retire_window: must be a positive duration such as "72h" or "7d", got "2w"`,
		`:5:23: defaults.evidence.deploy.max_age: must be a positive duration such as "72h" or "7d", got "0d"`,
		`:6:26: defaults.evidence.promotion.max_age: must be a positive duration such as "72h" or "7d", got 7`,
		`:7:23: defaults.evidence.health.max_age: must be a positive duration such as "72h" or "7d", got "-1h"`,
		`:13:23: lanes[0].health.timeout: must be a positive duration such as "72h" or "7d", got "1.5d"`,
	}},
	{"bad_url.yaml", []string{
		`:7:15: lanes[0].base_url: must be an absolute http(s) URL, got "example.com"`,
		`:8:17: lanes[0].health_url: must be an absolute http(s) URL, got "ftp://example.com/health"`,
		`:13:15: lanes[1].base_url: must not contain credentials`,
		`:14:17: lanes[1].health_url: must be an absolute http(s) URL, got "https:///health"`,
	}},
	{"bad_int_range.yaml", []string{
		`:2:17: tracking_issue: must be an integer > 0, got 0`,
		`:7:11: lanes[0].wave: must be an integer >= 1, got 0`,
		`:9:28: lanes[0].health.expect_status[1]: must be an HTTP status between 100 and 599, got 700`,
		`:9:33: lanes[0].health.expect_status[2]: must be an HTTP status between 100 and 599, got 99`,
		`:9:37: lanes[0].health.expect_status[3]: duplicate status 200`,
		`:9:42: lanes[0].health.expect_status[4]: must be an HTTP status between 100 and 599, got 2.5`,
		`:13:11: lanes[1].wave: must be an integer >= 1, got 99999999999999999999`,
		`:15:22: lanes[1].health.expect_status: must list at least one status (leave it out to accept any 2xx)`,
	}},
	{"bad_route.yaml", []string{
		`:3:13: lanes[0].route: invalid route "nocontext": want "context/instance"`,
		`:4:13: lanes[1].route: invalid route "/inst": empty context`,
		`:5:13: lanes[2].route: invalid route "ctx/": empty instance`,
		`:6:13: lanes[3].route: invalid route " ctx/inst": context has leading or trailing whitespace`,
		`:7:13: lanes[4].route: invalid route "ctx/in\tst": contains control character U+0009`,
		`:8:13: lanes[5].route: invalid route "": want "context/instance"`,
		`:8:26: lanes[5].product: must be a non-empty string`,
	}},
	{"bad_glob.yaml", []string{
		`:7:13: lanes[0].paths[0]: invalid glob "products/[a/**": syntax error in pattern`,
		`:7:31: lanes[0].paths[1]: invalid glob "/abs/**": must be relative to the repository root (no leading "/")`,
		`:7:42: lanes[0].paths[2]: invalid glob "": must not be empty`,
	}},
	{"empty.yaml", []string{`: file is empty`}},
	{"comments_only.yaml", []string{`: file is empty`}},
	{"not_mapping.yaml", []string{`:1:1: top level must be a mapping, got a sequence`}},
	{"empty_lanes.yaml", []string{`:2:8: lanes: must list at least one lane`}},
	{"null_lanes.yaml", []string{`:2:7: lanes: expected a sequence, got null`}},
	{"alias.yaml", []string{
		`:11:15: lanes[0].evidence: YAML aliases (*ev) are not supported; write the value out`,
		`:12:5: lanes[1].<<: YAML merge keys (<<) are not supported; write the keys out`,
		`:12:5: lanes[1].product: missing required key`,
		`:12:5: lanes[1].driver: missing required key`,
		`:12:5: lanes[1].wave: missing required key`,
	}},
}

func TestBadFiles(t *testing.T) {
	// Every file in testdata/bad must be in the table, so none goes unchecked.
	onDisk, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk) != len(badFiles) {
		t.Errorf("testdata/bad has %d files, table has %d", len(onDisk), len(badFiles))
	}
	for _, tc := range badFiles {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.file)
			f, err := Load(path)
			if f != nil {
				t.Errorf("Load returned a File along with errors")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v (%T) is not Errors", err, err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, path+w)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if err.Error() != strings.Join(want, "\n") {
				t.Errorf("Errors.Error() = %q", err.Error())
			}
		})
	}
}
