#!/usr/bin/env bash
# Release on one machine (a person's, or the tests'): pins <tag> for <environment> (staging) on top of the newest main,
# re-renders, commits the pin, charts-out/<environment>/ and the promotion candidates, and pushes. Nothing else: a
# render that would change production or argocd/ stops here. Idempotent: nothing to commit means no commit.
# It chains the two halves the release workflow runs in separate jobs (render-release.sh without a token that can
# write, publish-release.sh with it) and renders again when main moves in between.
#
# usage: scripts/release/publish-pin.sh <environment> <commit-sha>
#   RELEASE_REMOTE (origin) and RELEASE_BRANCH (main) name where the commit goes.
#
# Why on top of the newest main rather than the built commit: other merges (and their own release commits) may have
# landed while the image was building, and a push must be a fast-forward. The render then reflects main's k8s/ with
# this image, which is exactly what the next CI drift check expects.
set -euo pipefail

env_name="${1:?usage: publish-pin.sh <environment> <commit-sha>}"
tag="${2:?usage: publish-pin.sh <environment> <commit-sha>}"
remote="${RELEASE_REMOTE:-origin}"
branch="${RELEASE_BRANCH:-main}"
here="$(dirname "${BASH_SOURCE[0]}")"
change="$(mktemp -d)"
trap 'rm -rf "$change"' EXIT

for attempt in 1 2 3; do
  installed="$(git rev-parse HEAD)"
  git fetch --quiet "$remote" "$branch"
  git checkout --quiet --detach FETCH_HEAD
  # node_modules were installed for the built commit; reinstall only when main's lockfile differs.
  if ! git diff --quiet "$installed" HEAD -- package-lock.json; then
    npm ci --no-audit --no-fund
  fi
  bash "${here}/render-release.sh" "$env_name" "$tag" "$change"
  status=0
  RELEASE_IF_MOVED=fail bash "${here}/publish-release.sh" "$env_name" "$tag" "$change" || status=$?
  [ "$status" = 3 ] || exit "$status"
  echo "rendering again on the new ${branch} (attempt ${attempt})" >&2
done
echo "gave up after 3 attempts: ${branch} keeps moving" >&2
exit 1
