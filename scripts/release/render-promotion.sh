#!/usr/bin/env bash
# Promotion, first half (no token that can write): moves the <to> pin (production) to what <from> (staging) ran at
# <commit> (HEAD by default), its image, the manifests rendered for <to> at that commit and <to>'s Argo CD Application,
# in this checkout of main, and writes into <change-dir> the staged pin, charts-out/<to>/ and the Application (an empty
# patch when <to> already runs them) with the commit they apply to. publish-promotion.sh, in a job that holds the release app's token, opens the pull request.
#
# usage: scripts/release/render-promotion.sh <from> <to> <commit> <change-dir>
set -euo pipefail
# shellcheck source=scripts/release/release-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/release-lib.sh"

usage='usage: render-promotion.sh <from> <to> <commit> <change-dir>'
from="${1:?$usage}"
to="${2:?$usage}"
commit="${3:?$usage}"
out="${4:?$usage}"

application="$(application_file "$to")"
npm run --silent promote -- "$from" "$to" --commit "$commit" # writes the pin, renders charts-out/${to}/ and argocd/
if ! stage_only "charts-out/${to}" "platform/pins/${to}.json" "$application"; then
  echo "${to} already runs image $(pin_field "$to" imageTag) with the manifests of $(pin_field "$to" renderedFrom):" \
    "no pull request needed"
fi
write_change "$out"
git reset --quiet --hard
