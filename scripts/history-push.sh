#!/usr/bin/env bash
# Appends new history lines (written by `perfwarden history append`) to history.jsonl on the
# dedicated history branch, creating the branch on first use. Only lines are added, never a
# whole file replaced: a run that could not read the history cannot erase it. The oldest
# lines beyond PERFWARDEN_HISTORY_KEEP are dropped. A concurrent push is retried on top of it.
#
# usage: scripts/history-push.sh NEW_LINES_FILE
# env: PERFWARDEN_HISTORY_BRANCH (default perfwarden-history), PERFWARDEN_HISTORY_KEEP (1000).
# Needs a checkout whose `origin` accepts pushes (contents: write).
set -euo pipefail
cd "$(dirname "$0")/.."

new="${1:?usage: scripts/history-push.sh NEW_LINES_FILE}"
branch="${PERFWARDEN_HISTORY_BRANCH:-perfwarden-history}"
keep="${PERFWARDEN_HISTORY_KEEP:-1000}"
[[ -s "$new" ]] || { echo "history-push: $new is missing or empty" >&2; exit 1; }
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || { echo "history-push: PERFWARDEN_HISTORY_KEEP must be a positive integer" >&2; exit 2; }
# Every line must be a JSON object: a history of garbage helps nobody.
jq -e -s 'all(type == "object")' "$new" >/dev/null || { echo "history-push: $new is not JSON lines" >&2; exit 1; }

export GIT_AUTHOR_NAME="github-actions[bot]" GIT_COMMITTER_NAME="github-actions[bot]"
export GIT_AUTHOR_EMAIL="41898282+github-actions[bot]@users.noreply.github.com"
export GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
message="history: run ${GITHUB_RUN_ID:-local} of ${GITHUB_SHA:-$(git rev-parse HEAD)}"

for attempt in 1 2 3; do
  parent=()
  : >"$tmp/history.jsonl"
  if git ls-remote --exit-code --heads origin "$branch" >/dev/null; then
    git fetch --quiet --no-tags --depth=1 origin "+refs/heads/$branch:refs/remotes/origin/$branch"
    parent=(-p "refs/remotes/origin/$branch")
    if git cat-file -e "refs/remotes/origin/$branch:history.jsonl" 2>/dev/null; then
      git show "refs/remotes/origin/$branch:history.jsonl" >"$tmp/history.jsonl"
    fi
  fi
  # A file cut short in the middle of a line must not glue the next line onto it.
  if [[ -s "$tmp/history.jsonl" && "$(tail -c 1 "$tmp/history.jsonl")" != "" ]]; then
    echo >>"$tmp/history.jsonl"
  fi
  cat "$new" >>"$tmp/history.jsonl"
  tail -n "$keep" "$tmp/history.jsonl" >"$tmp/kept.jsonl"
  blob="$(git hash-object -w "$tmp/kept.jsonl")"
  tree="$(printf '100644 blob %s\thistory.jsonl\n' "$blob" | git mktree)"
  commit="$(git commit-tree "$tree" "${parent[@]}" -m "$message")"
  if git push --quiet origin "$commit:refs/heads/$branch"; then
    echo "history-push: $branch now holds $(wc -l <"$tmp/kept.jsonl") runs ($commit)"
    exit 0
  fi
  echo "history-push: push to $branch rejected (attempt $attempt); retrying on top of the new head"
  sleep $((attempt * 5))
done
echo "history-push: could not push to $branch" >&2
exit 1
