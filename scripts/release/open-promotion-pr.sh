#!/usr/bin/env bash
# Promotion on one machine (npm run promote:pr): moves the <to> pin (production) to what <from> (staging) ran at
# <commit> (HEAD by default), re-renders, and opens one pull request against main with the pin, charts-out/<to>/ and
# <to>'s Argo CD Application.
# It chains the two halves the promote workflow runs in separate jobs: render-promotion.sh (no token that can write)
# and publish-promotion.sh (the release app's token).
#
# usage: scripts/release/open-promotion-pr.sh [<from> <to> [<commit>]]   (npm run promote:pr -- ...)
#   needs `gh` authenticated (GH_TOKEN); RELEASE_REMOTE (origin) and RELEASE_BRANCH (main) as in publish-pin.sh.
set -euo pipefail

from="${1:-staging}"
to="${2:-production}"
commit="${3:-HEAD}"
here="$(dirname "${BASH_SOURCE[0]}")"
change="$(mktemp -d)"
trap 'rm -rf "$change"' EXIT

bash "${here}/render-promotion.sh" "$from" "$to" "$commit" "$change"
bash "${here}/publish-promotion.sh" "$from" "$to" "$change"
