#!/usr/bin/env bash
# Release, first half (no token that can write): pins <tag> for <environment> (staging) in this checkout, re-renders,
# and writes into <change-dir> the staged pin, charts-out/<environment>/ and the candidates (an empty patch when staging
# already runs <tag>), with the commit they apply to. A render that would change anything else (production, argocd/)
# stops here. publish-release.sh, in a job that holds the release app's token, commits and pushes the change.
#
# usage: scripts/release/render-release.sh <environment> <commit-sha> <change-dir>
set -euo pipefail
# shellcheck source=scripts/release/release-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/release-lib.sh"

env_name="${1:?usage: render-release.sh <environment> <commit-sha> <change-dir>}"
tag="${2:?usage: render-release.sh <environment> <commit-sha> <change-dir>}"
out="${3:?usage: render-release.sh <environment> <commit-sha> <change-dir>}"

npm run --silent release:pin -- "$env_name" "$tag"
npm run --silent synth
if ! stage_only "charts-out/${env_name}" charts-out/candidates "platform/pins/${env_name}.json"; then
  echo "${env_name} already runs ${tag} and charts-out/ is current: nothing to commit"
fi
write_change "$out"
git reset --quiet --hard
