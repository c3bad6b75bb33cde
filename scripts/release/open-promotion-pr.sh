#!/usr/bin/env bash
# Promotion: moves the <to> pin (production) to what <from> (staging) ran at <commit> (HEAD by default): its image and
# the manifests rendered for <to> at that commit. Re-renders, commits only the pin and charts-out/<to>/, pushes a
# branch and opens one pull request against main. The PR holds the full rendered diff of production; merging it is
# the production deploy, reverting it is the rollback.
#
# usage: scripts/release/open-promotion-pr.sh [<from> <to> [<commit>]]   (npm run promote:pr -- ...)
#   needs `gh` authenticated (GH_TOKEN); RELEASE_REMOTE (origin) and RELEASE_BRANCH (main) as in publish-pin.sh.
set -euo pipefail
# shellcheck source=scripts/release/release-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/release-lib.sh"

from="${1:-staging}"
to="${2:-production}"
commit="${3:-HEAD}"
remote="${RELEASE_REMOTE:-origin}"
base="${RELEASE_BRANCH:-main}"

npm run --silent promote -- "$from" "$to" --commit "$commit" # writes the pin and renders charts-out/${to}/
pin_field() { node -p "JSON.parse(require('node:fs').readFileSync('platform/pins/${to}.json', 'utf8')).$1"; }
tag="$(pin_field imageTag)"
rendered_from="$(pin_field renderedFrom)"

if ! stage_only "charts-out/${to}" "platform/pins/${to}.json"; then
  echo "${to} already runs image ${tag} with the manifests of ${rendered_from}: no pull request needed"
  exit 0
fi
stat="$(git diff --cached --stat -- "charts-out/${to}")"

branch="promote/${to}-${rendered_from:0:12}"
title="promote(${to}): ${tag:0:12} with the manifests of ${rendered_from:0:12}"
git checkout --quiet -B "$branch"
commit_as_release_bot -m "$title" \
  -m "Image ${tag} and charts-out/candidates/${to}/ of ${rendered_from}, as ${from} ran them; rendered by npm run synth."
git push --quiet --force "$remote" "HEAD:refs/heads/${branch}"

if [ -n "$(gh pr list --head "$branch" --base "$base" --state open --json number --jq '.[].number')" ]; then
  echo "pull request for ${branch} already open; branch updated"
  exit 0
fi
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
cat >"$body" <<BODY
Moves ${to} to what ${from} ran at ${rendered_from}:

- image \`${tag}\`
- manifests: \`charts-out/candidates/${to}/\` of that commit, copied into \`charts-out/${to}/\` (the files of this PR
  are the full rendered diff Argo CD will apply)

\`\`\`
${stat}
\`\`\`

Merging deploys it: Argo CD syncs \`charts-out/${to}\` (a canary judged by its analysis). Rollback: revert this pull
request. See RUNBOOK.md, "Promotion to production".
BODY
gh pr create --base "$base" --head "$branch" --title "$title" --body-file "$body"
