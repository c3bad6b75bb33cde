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
