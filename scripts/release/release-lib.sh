# shellcheck shell=bash
# Sourced by publish-pin.sh and open-promotion-pr.sh (not run on its own).

# stage_only <path>...: stages the changes under the given paths and nothing else, after checking that nothing else
# changed: a release may touch only what moves staging, a promotion only what moves production. A render that would
# change anything more (main was merged without `npm run synth`, or someone edited a pin) stops the script instead of
# being pushed. Succeeds when something is staged; fails (status 1) when there is nothing to commit.
stage_only() {
  local outside
  outside="$(git status --porcelain --untracked-files=all -- . "${@/#/:!}")"
  if [ -n "$outside" ]; then
    printf 'refusing to commit: the render changed paths outside %s:\n%s\n' "$*" "$outside" >&2
    exit 2
  fi
  git add --all -- "$@"
  ! git diff --cached --quiet
}

# commit_as_release_bot <git commit arguments>: commits as GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL, by default the identity
# of github-actions[bot], so release and promotion commits say who made them whatever the machine's git config.
commit_as_release_bot() {
  git -c user.name="${GIT_AUTHOR_NAME:-github-actions[bot]}" \
    -c user.email="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}" \
    commit --quiet "$@"
}

# A release and a promotion each run in two jobs (RUNBOOK.md, "Branch protection"): one renders with npm and the
# repository's code but holds no token that can write; the other holds the release app's token and runs nothing but git
# and these scripts. The first hands the second a change directory: the staged change as a binary patch (empty when
# there is nothing to publish) and the commit it was made on.

# write_change <dir>: writes the staged change and the commit it applies to into <dir>.
write_change() {
  mkdir -p "$1"
  git diff --cached --binary >"$1/change.patch"
  git rev-parse HEAD >"$1/base"
}

# read_base <dir>: the commit a change was made on; refused (exit 2) unless it is a full SHA.
read_base() {
  local base
  base="$(cat "$1/base")"
  if ! [[ "$base" =~ ^[0-9a-f]{40}$ ]]; then
    echo "refusing: $1/base is not a full commit SHA" >&2
    exit 2
  fi
  printf '%s\n' "$base"
}

# under_any <path> <prefix>...: whether <path> is one of the prefixes or inside one of them.
under_any() {
  local path="$1" prefix
  shift
  for prefix in "$@"; do
    if [[ "$path" == "$prefix" || "$path" == "$prefix"/* ]]; then return 0; fi
  done
  return 1
}

# apply_only <patch> <path>...: applies a patch written by the rendering job to the index and work tree, then refuses
# it (exit 2, tree reset) unless every file it touches is one of the paths or inside one of them, and none becomes a
# symbolic link or a submodule. The patch is data from a job that ran code this one does not trust.
apply_only() {
  local patch="$1" meta path outside=''
  shift
  git apply --index "$patch"
  while IFS=$'\t' read -r meta path; do
    # meta: ":<old mode> <new mode> <old blob> <new blob> <status>"; a quoted (unusual) path matches no prefix.
    read -r _ mode _ <<<"${meta#:}"
    if ! under_any "$path" "$@" || [ "$mode" = 120000 ] || [ "$mode" = 160000 ]; then outside+="  ${path}"$'\n'; fi
  done < <(git diff --cached --raw --no-renames)
  if [ -n "$outside" ]; then
    git reset --quiet --hard
    printf 'refusing to publish: the change touches paths outside %s (or links):\n%s' "$*" "$outside" >&2
    exit 2
  fi
}

# application_file <environment>: the environment's Argo CD Application in argocd/ at HEAD (promoted with its
# manifests, k8s/release/synthesize.ts), read from git so the publishing job runs no repository code; exactly one.
application_file() {
  local files
  if ! [[ "$1" =~ ^[a-z0-9-]+$ ]]; then
    echo "refusing: \"$1\" is not an environment name" >&2
    exit 2
  fi
  files="$(git ls-tree --name-only HEAD -- argocd/ | grep -E "^argocd/Application\.[a-z0-9-]+-$1\.yaml$" || true)"
  if [ -z "$files" ] || [ "$(wc -l <<<"$files")" != 1 ]; then
    echo "refusing: argocd/ holds no single Application of $1 (found: ${files:-none})" >&2
    exit 2
  fi
  printf '%s\n' "$files"
}

# pin_field <environment> <field>: a field of the environment's release pin in the work tree.
pin_field() {
  node -p "JSON.parse(require('node:fs').readFileSync('platform/pins/$1.json', 'utf8')).$2"
}
