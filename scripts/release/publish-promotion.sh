#!/usr/bin/env bash
# Promotion, second half: the job that holds the release app's token runs no npm and nothing from k8s/ or
# node_modules, only git, gh and these scripts. It takes the change render-promotion.sh wrote, refuses it unless it
# touches only the <to> pin, charts-out/<to>/ and <to>'s Application in argocd/, commits it on the commit it was
# rendered on, pushes a branch and opens
# one pull request against main. The PR holds the full rendered diff of production; merging it is the production
# deploy, reverting it is the rollback. Nothing to promote (an empty patch) is success.
#
# usage: scripts/release/publish-promotion.sh <from> <to> <change-dir>
#   needs `gh` authenticated (GH_TOKEN); RELEASE_REMOTE (origin) and RELEASE_BRANCH (main) as in publish-release.sh.
set -euo pipefail
# shellcheck source=scripts/release/release-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/release-lib.sh"

usage='usage: publish-promotion.sh <from> <to> <change-dir>'
from="${1:?$usage}"
to="${2:?$usage}"
dir="${3:?$usage}"
remote="${RELEASE_REMOTE:-origin}"
base_branch="${RELEASE_BRANCH:-main}"

if [ ! -s "${dir}/change.patch" ]; then
  echo "${to} already runs what ${from} ran there: no pull request needed"
  exit 0
fi
base="$(read_base "$dir")"
git fetch --quiet "$remote" "$base_branch"
if ! git merge-base --is-ancestor "$base" FETCH_HEAD; then
  echo "refusing to publish: ${base} is not in the history of ${remote}/${base_branch}" >&2
  exit 2
fi
git checkout --quiet --detach "$base"
application="$(application_file "$to")"
apply_only "${dir}/change.patch" "charts-out/${to}" "platform/pins/${to}.json" "$application"
tag="$(pin_field "$to" imageTag)"
rendered_from="$(pin_field "$to" renderedFrom)"
stat="$(git diff --cached --stat -- "charts-out/${to}" "$application")"

branch="promote/${to}-${rendered_from:0:12}"
title="promote(${to}): ${tag:0:12} with the manifests of ${rendered_from:0:12}"
git checkout --quiet -B "$branch"
commit_as_release_bot -m "$title" \
  -m "Image ${tag}, charts-out/candidates/${to}/ and the ${to} Application of ${rendered_from}, as ${from} ran them; rendered by npm run synth."
git push --quiet --force "$remote" "HEAD:refs/heads/${branch}"

if [ -n "$(gh pr list --head "$branch" --base "$base_branch" --state open --json number --jq '.[].number')" ]; then
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
- Argo CD Application: the candidate of that commit, copied into \`${application}\` (in this PR only when it changed)

\`\`\`
${stat}
\`\`\`

Merging deploys it: Argo CD syncs \`charts-out/${to}\` (a canary judged by its analysis). Rollback: revert this pull
request. See RUNBOOK.md, "Promotion to production".
BODY
gh pr create --base "$base_branch" --head "$branch" --title "$title" --body-file "$body"
