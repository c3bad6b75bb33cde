#!/usr/bin/env bash
# Promotion: copies the <from> pin (staging) into <to> (production), re-renders, pushes a branch and opens a pull
# request against main. Merging that PR is the production deploy; reverting its merge commit is the rollback.
#
# usage: scripts/release/open-promotion-pr.sh [<from> <to>]
#   needs `gh` authenticated (GH_TOKEN); RELEASE_REMOTE (origin) and RELEASE_BRANCH (main) as in publish-pin.sh.
set -euo pipefail
# shellcheck source=scripts/release/release-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/release-lib.sh"

from="${1:-staging}"
to="${2:-production}"
remote="${RELEASE_REMOTE:-origin}"
base="${RELEASE_BRANCH:-main}"

npm run --silent promote -- "$from" "$to"
npm run --silent synth
tag="$(node -p "JSON.parse(require('node:fs').readFileSync('platform/pins/${to}.json', 'utf8')).imageTag")"

if ! stage_rendered; then
  echo "${to} already runs ${tag}: no pull request needed"
  exit 0
fi

branch="promote/${to}-${tag:0:12}"
git checkout --quiet -B "$branch"
commit_as_release_bot -m "promote(${to}): ${tag}" -m "Copies the ${from} release pin to ${to}; rendered by npm run synth."
git push --quiet --force "$remote" "HEAD:refs/heads/${branch}"

if [ -n "$(gh pr list --head "$branch" --base "$base" --state open --json number --jq '.[].number')" ]; then
  echo "pull request for ${branch} already open; branch updated"
  exit 0
fi
gh pr create --base "$base" --head "$branch" \
  --title "promote(${to}): ${tag}" \
  --body "Promotes image \`${tag}\` from ${from} to ${to}.

Merging deploys it: Argo CD syncs \`charts-out/${to}\`. To roll back after merging, \`git revert\` the merge commit.
See RUNBOOK.md, \"Promotion\"."
