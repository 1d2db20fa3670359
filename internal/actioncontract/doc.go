// Package actioncontract holds tests only. They keep three things in step:
//
//   - action.yml, the composite action: every input reaches lanegate as
//     LANEGATE_INPUT_<NAME> through env (composite actions get no INPUT_*),
//     except secret inputs listed in secretEnvInputs, which go by the
//     variable the CLI reads for them (dokploy-api-key as DOKPLOY_API_KEY)
//     and reach no other step; every output comes from the lanegate step, no
//     expression is expanded inside a run: script, and setup-go is pinned by
//     commit SHA;
//   - the CLI: `lanegate action` reads exactly those variables, writes only
//     the outputs action.yml declares, and maps each command (audit,
//     backfill, merge, gate, publish, evidence, preflight) to the command
//     line pinned in commands_test.go, which the end-to-end tests run
//     against the example state and fake GitHub, Dokploy and health servers;
//   - the workflows under .github/workflows: remote actions pinned by commit
//     SHA with a version comment, top-level and per-job permissions, job
//     timeouts, no pull_request_target, secrets only at step level,
//     backfill-apply only behind the protected environment, and the
//     fork-safe cutover gate (workflows_test.go): cutover-gate.yml runs on
//     every pull request and merge group with no path filter, its
//     pull_request job holds no secret and no write permission, and
//     cutover-gate-decide.yml, on workflow_run, never checks out the pull
//     request's code and decides from the downloaded scope file.
package actioncontract
