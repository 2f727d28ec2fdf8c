#!/usr/bin/env bash
# Proposes freshly measured baselines through a pull request; never pushes to the default
# branch. The files replace DEST_DIR on the bot branch
# perfwarden/baselines-<profile>-<machine class>, force-pushed so the newest measurement
# replaces an older unmerged one, and the branch's pull request is opened or refreshed. A
# person reviews the numbers and merges.
#
# usage: scripts/propose-baselines.sh NEW_DIR DEST_DIR PROFILE
# env: GH_TOKEN (contents: write, pull-requests: write), PERFWARDEN_MACHINE_CLASS,
#      BASE_BRANCH (the default branch), and GitHub's GITHUB_SHA, GITHUB_RUN_ID.
# Repositories must allow "GitHub Actions to create and approve pull requests".
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  echo "propose-baselines: $*" >&2
  exit 1
}

new="${1:?usage: scripts/propose-baselines.sh NEW_DIR DEST_DIR PROFILE}"
dest="${2:?usage: scripts/propose-baselines.sh NEW_DIR DEST_DIR PROFILE}"
profile="${3:?usage: scripts/propose-baselines.sh NEW_DIR DEST_DIR PROFILE}"
class="${PERFWARDEN_MACHINE_CLASS:?PERFWARDEN_MACHINE_CLASS must be set}"
base="${BASE_BRANCH:?BASE_BRANCH must name the default branch}"
[[ "$class" =~ ^[A-Za-z0-9._-]+$ ]] || die "machine class ${class@Q} is not a safe name"
[[ "$profile" =~ ^[a-z]+$ ]] || die "profile ${profile@Q} is not a profile name"
[[ "$dest" == baselines/* && "$dest" != *..* ]] || die "DEST_DIR must lie under baselines/"

branch="perfwarden/baselines-$profile-$class"
[[ "$branch" != "$base" ]] || die "refusing to push to the default branch"

shopt -s nullglob
files=("$new"/*.json)
[[ ${#files[@]} -gt 0 ]] || die "$new holds no baseline files"

rm -rf "$dest"
mkdir -p "$dest"
cp -- "${files[@]}" "$dest/"
git add -A -- "$dest"
if git diff --cached --quiet -- "$dest"; then
  echo "propose-baselines: $dest is unchanged; no pull request"
  exit 0
fi

export GIT_AUTHOR_NAME="github-actions[bot]" GIT_COMMITTER_NAME="github-actions[bot]"
export GIT_AUTHOR_EMAIL="41898282+github-actions[bot]@users.noreply.github.com"
export GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"

sha="${GITHUB_SHA:-$(git rev-parse HEAD)}"
run_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-0}"
git switch --quiet -C "$branch"
git commit --quiet -m "Refresh $profile baselines for $class" -m "Measured on $sha by $run_url."
git push --quiet --force origin "HEAD:refs/heads/$branch"

title="perfwarden: refresh $profile baselines for $class"
body="Baselines for machine class \`$class\` ($profile profile), measured on $sha by $run_url.

Review the numbers before merging: once merged, they are what $( [[ $profile == pr ]] && echo "pull requests" || echo "nightly runs" ) are gated against.
This branch is force-pushed by the next measurement while the pull request is open.
Pull requests opened with the workflow token start no workflows: close and reopen it to run the checks."

existing="$(gh pr list --head "$branch" --base "$base" --state open --json number --jq '.[0].number // empty')"
if [[ -n "$existing" ]]; then
  gh pr edit "$existing" --title "$title" --body "$body"
  echo "propose-baselines: refreshed pull request #$existing"
else
  gh pr create --base "$base" --head "$branch" --title "$title" --body "$body"
fi
