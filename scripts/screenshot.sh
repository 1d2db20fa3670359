#!/usr/bin/env bash
# Regenerates the README screenshots of what operators see on GitHub:
#   docs/evidence-comment.png  the README's evidence-comment demo (pinned to the
#                              renderer by internal/report TestREADMEDemo)
#   docs/backfill-summary.png  a backfill dry-run job summary over a copy of
#                              examples/state
# Markdown -> HTML with goldmark (cmd/docshot), HTML -> PNG with headless
# Chromium at 760 px. Not part of .ci/run: it needs Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

chrome=""
for c in chromium chromium-browser google-chrome; do
	if command -v "$c" >/dev/null 2>&1; then chrome="$c"; break; fi
done
if [ -z "$chrome" ]; then
	echo "screenshot.sh: Chromium not found; install it (Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y chromium fonts-noto-color-emoji)" >&2
	exit 2
fi
# Without a colour emoji font the status icons (✅ ❌ 🚀 ⏳) come out as boxes.
if command -v fc-list >/dev/null 2>&1 && ! fc-list | grep -qi 'color emoji'; then
	echo "screenshot.sh: no colour emoji font; install it (Debian/Ubuntu: sudo apt-get install -y fonts-noto-color-emoji)" >&2
	exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The demo block must match the renderer before it is photographed.
go test -count=1 ./internal/report -run '^TestREADMEDemo$' >/dev/null

go build -o "$work/docshot" ./cmd/docshot
go build -o "$work/lanegate" ./cmd/lanegate

"$work/docshot" -demo README.md -title "lanegate evidence comment" -o "$work/evidence-comment.html"

cp -r examples/state "$work/state"
rc=0
"$work/lanegate" backfill --state-dir "$work/state" --format markdown >"$work/backfill-summary.md" 2>"$work/backfill.log" || rc=$?
# examples/state is blocked on purpose (exit 1); anything else is a real failure.
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	cat "$work/backfill.log" >&2
	echo "screenshot.sh: lanegate backfill exited $rc" >&2
	exit "$rc"
fi
if [ ! -s "$work/backfill-summary.md" ]; then
	echo "screenshot.sh: lanegate backfill printed no Markdown" >&2
	exit 3
fi
"$work/docshot" -in "$work/backfill-summary.md" -title "lanegate backfill summary" -o "$work/backfill-summary.html"

shoot() { # html png height
	"$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$work/profile-$(basename "$2" .png)" --hide-scrollbars \
		--window-size="760,$3" --screenshot="$2" "file://$1" 2>"$work/chrome.log" || {
		cat "$work/chrome.log" >&2
		echo "screenshot.sh: Chromium failed on $1" >&2
		exit 3
	}
}
mkdir -p docs
# Chromium photographs the window, not the page: the heights are the pages'
# heights plus a margin. When the content grows, raise them (a cut-off bottom
# shows in the PNG).
shoot "$work/evidence-comment.html" docs/evidence-comment.png 2200
shoot "$work/backfill-summary.html" docs/backfill-summary.png 1020
echo "wrote docs/evidence-comment.png docs/backfill-summary.png"
