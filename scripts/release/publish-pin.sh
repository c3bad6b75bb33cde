#!/usr/bin/env bash
# Release, after the image is in the registry: pins <tag> for <environment> (staging) on top of the newest main,
# re-renders, commits the pin, charts-out/<environment>/ and the promotion candidates, and pushes. Nothing else: a
# render that would change production or argocd/ stops here (see stage_only). Idempotent: nothing to commit means no
# commit.
#
# usage: scripts/release/publish-pin.sh <environment> <commit-sha>
#   RELEASE_REMOTE (origin) and RELEASE_BRANCH (main) name where the commit goes.
#
# Why on top of the newest main rather than the built commit: other merges (and their own release commits) may have
# landed while the image was building, and a push must be a fast-forward. The render then reflects main's k8s/ with
# this image, which is exactly what the next CI drift check expects.
set -euo pipefail
# shellcheck source=scripts/release/release-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/release-lib.sh"

env_name="${1:?usage: publish-pin.sh <environment> <commit-sha>}"
tag="${2:?usage: publish-pin.sh <environment> <commit-sha>}"
remote="${RELEASE_REMOTE:-origin}"
branch="${RELEASE_BRANCH:-main}"

for attempt in 1 2 3; do
  installed="$(git rev-parse HEAD)"
  git fetch --quiet "$remote" "$branch"
  git checkout --quiet --detach FETCH_HEAD
  # node_modules were installed for the built commit; reinstall only when main's lockfile differs.
  if ! git diff --quiet "$installed" HEAD -- package-lock.json; then
    npm ci --no-audit --no-fund
  fi

  npm run --silent release:pin -- "$env_name" "$tag"
  npm run --silent synth

  if ! stage_only "charts-out/${env_name}" charts-out/candidates "platform/pins/${env_name}.json"; then
    echo "${env_name} already runs ${tag} and charts-out/ is current: nothing to commit"
    exit 0
  fi
  commit_as_release_bot -m "release(${env_name}): ${tag}" -m "Rendered by scripts/release/publish-pin.sh."
  if git push --quiet "$remote" "HEAD:refs/heads/${branch}"; then
    echo "pushed release(${env_name}): ${tag} to ${remote}/${branch}"
    exit 0
  fi
  echo "push rejected on attempt ${attempt} (${branch} moved); redoing it on the new ${branch}" >&2
done
echo "gave up after 3 attempts: ${branch} keeps moving" >&2
exit 1
