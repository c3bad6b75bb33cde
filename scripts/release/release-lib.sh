# shellcheck shell=bash
# Sourced by publish-pin.sh and open-promotion-pr.sh (not run on its own).

# stage_rendered: stages what a release or a promotion changes (the rendered charts-out/ and argocd/, and the pins)
# and nothing else. Succeeds when something is staged; fails when the index already matches HEAD (nothing to commit).
stage_rendered() {
  local rendered=() path
  for path in charts-out argocd platform/pins; do
    [ -e "$path" ] && rendered+=("$path")
  done
  git add --all -- "${rendered[@]}"
  ! git diff --cached --quiet
}

# commit_as_release_bot <git commit arguments>: commits as GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL, by default the identity
# of github-actions[bot], so release and promotion commits say who made them whatever the machine's git config.
commit_as_release_bot() {
  git -c user.name="${GIT_AUTHOR_NAME:-github-actions[bot]}" \
    -c user.email="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}" \
    commit --quiet "$@"
}
