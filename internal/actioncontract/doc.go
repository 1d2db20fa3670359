// Package actioncontract holds tests only. They keep three things in step:
//
//   - action.yml, the composite action: every input reaches lanegate as
//     LANEGATE_INPUT_<NAME> through env (composite actions get no INPUT_*),
//     every output comes from the lanegate step, no expression is expanded
//     inside a run: script, and setup-go is pinned by commit SHA;
//   - the CLI: `lanegate action` reads exactly those variables and writes
//     only the outputs action.yml declares;
//   - the workflows under .github/workflows: remote actions pinned by commit
//     SHA with a version comment, top-level and per-job permissions, job
//     timeouts, no pull_request_target, secrets only at step level, and
//     backfill-apply only behind the protected environment.
package actioncontract
