#!/usr/bin/env bash
# Release, second half: the job that holds the release app's token, the one actor main's ruleset lets push. It runs
# no npm and nothing from k8s/ or node_modules, only git and these scripts. It takes the change render-release.sh
# wrote, refuses it unless it touches only the <environment> pin, charts-out/<environment>/ and the candidates and pins
# <tag>, commits it as the release bot on the newest main and pushes. Nothing to publish (an empty patch) is success.
#
# usage: scripts/release/publish-release.sh <environment> <commit-sha> <change-dir>
#   RELEASE_REMOTE (origin) and RELEASE_BRANCH (main) name where the commit goes.
#   RELEASE_IF_MOVED: what to do when main moved, while the change was rendered, in paths the render reads:
#     fail (default): exit 3, so the caller renders again (publish-pin.sh does);
#     skip: exit 0 with a notice, when that move triggers a release run of its own that renders and pins a newer image.
#   A move in paths the render never reads (docs, Markdown, a promotion) is harmless: the change goes on top of it.
set -euo pipefail
# shellcheck source=scripts/release/release-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/release-lib.sh"

env_name="${1:?usage: publish-release.sh <environment> <commit-sha> <change-dir>}"
tag="${2:?usage: publish-release.sh <environment> <commit-sha> <change-dir>}"
dir="${3:?usage: publish-release.sh <environment> <commit-sha> <change-dir>}"
remote="${RELEASE_REMOTE:-origin}"
branch="${RELEASE_BRANCH:-main}"
if_moved="${RELEASE_IF_MOVED:-fail}"

if [ ! -s "${dir}/change.patch" ]; then
  echo "${env_name} already runs ${tag} and charts-out/ is current: nothing to publish"
  exit 0
fi
base="$(read_base "$dir")"

# Paths the render does not read: the change applies on top of a move there as it would have on the base.
unread() {
  case "$1" in
    docs/* | *.md) return 0 ;;
    charts-out/candidates/* | "charts-out/${env_name}/"* | "platform/pins/${env_name}.json") return 1 ;;
    charts-out/* | "platform/pins/"*) return 0 ;; # another environment's pin and render: a promotion
    *) return 1 ;;
  esac
}
# Paths whose change starts a release run of its own (release.yml's paths-ignore, inverted).
releases() {
  case "$1" in
    charts-out/* | argocd/* | platform/pins/* | *.md) return 1 ;;
    *) return 0 ;;
  esac
}

for attempt in 1 2 3; do
  git fetch --quiet "$remote" "$branch"
  head="$(git rev-parse FETCH_HEAD)"
  if ! git merge-base --is-ancestor "$base" "$head"; then
    echo "refusing to publish: ${base} is not in the history of ${remote}/${branch}" >&2
    exit 2
  fi
  read_paths=''
  superseded=false
  while IFS= read -r path; do
    if ! unread "$path"; then read_paths+="  ${path}"$'\n'; fi
    if releases "$path"; then superseded=true; fi
  done < <(git diff --name-only "$base" "$head")
  if [ -n "$read_paths" ]; then
    if [ "$if_moved" = skip ] && [ "$superseded" = true ]; then
      echo "::notice::${branch} moved while ${tag} was rendered (${head}); that merge's own release run pins its image"
      exit 0
    fi
    printf '%s moved while %s was rendered, in paths the render reads: render again\n%s' \
      "$branch" "$tag" "$read_paths" >&2
    exit 3
  fi

  git checkout --quiet --detach "$head"
  apply_only "${dir}/change.patch" "charts-out/${env_name}" charts-out/candidates "platform/pins/${env_name}.json"
  pinned="$(pin_field "$env_name" imageTag)"
  if [ "$pinned" != "$tag" ]; then
    git reset --quiet --hard
    echo "refusing to publish: the change pins ${pinned}, not ${tag}" >&2
    exit 2
  fi
  commit_as_release_bot -m "release(${env_name}): ${tag}" \
    -m "Rendered by scripts/release/render-release.sh, published by scripts/release/publish-release.sh."
  if git push --quiet "$remote" "HEAD:refs/heads/${branch}"; then
    echo "pushed release(${env_name}): ${tag} to ${remote}/${branch}"
    exit 0
  fi
  echo "push rejected on attempt ${attempt} (${branch} moved); trying again on the new ${branch}" >&2
done
echo "gave up after 3 attempts: ${branch} keeps moving" >&2
exit 1
