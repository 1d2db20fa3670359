#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint, pinned to one version.
#
# `go run module@version` builds actionlint in module-aware mode outside this
# repository's go.mod, so nothing here touches go.mod or go.sum. GOFLAGS is
# cleared because a caller's -mod=... flag is rejected by `go run @version`.
# actionlint also runs shellcheck over `run:` scripts when shellcheck is on
# PATH (it is on GitHub's ubuntu runners), and checks `uses: ./` steps against
# action.yml.
set -euo pipefail

readonly ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
shopt -u nullglob
if [ "${#workflows[@]}" -eq 0 ]; then
  echo "actionlint: no workflow files under .github/workflows" >&2
  exit 1
fi

if command -v shellcheck > /dev/null 2>&1; then
  echo "actionlint: shellcheck $(shellcheck --version | sed -n 's/^version: //p') found; run: scripts are checked too"
else
  echo "actionlint: shellcheck not found; run: scripts are not shellchecked"
fi

GOFLAGS='' go run "$ACTIONLINT" -color=false "${workflows[@]}"
echo "actionlint: ${#workflows[@]} workflow file(s) OK"
