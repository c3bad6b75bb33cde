#!/usr/bin/env bash
# Release: tells whether ECR already holds <repository>:<tag>, so a re-run of the release workflow skips the build
# instead of failing on the repository's immutable tags. Prints and writes exists=true|false to $GITHUB_OUTPUT.
# Needs ecr:DescribeImages on the repository (granted to the release role by cluster/).
#
# usage: scripts/release/image-exists.sh <repository-name> <tag>
set -euo pipefail

repository="${1:?usage: image-exists.sh <repository-name> <tag>}"
tag="${2:?usage: image-exists.sh <repository-name> <tag>}"

if error="$(aws ecr describe-images --repository-name "$repository" --image-ids "imageTag=${tag}" 2>&1 >/dev/null)"; then
  exists=true
elif grep -q ImageNotFoundException <<<"$error"; then
  exists=false
else
  echo "$error" >&2
  exit 1
fi
echo "exists=${exists}"
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "exists=${exists}" >>"$GITHUB_OUTPUT"; fi
