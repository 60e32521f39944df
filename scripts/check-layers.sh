#!/usr/bin/env bash
# check-layers.sh - the architecture's lines, checked on the source
# (docs/architecture.md, "Layout"): which folder of user/ may include
# which.  Prints "ok - ..." or "not ok - ..." per rule; exit 1 if any
# failed.  scripts/run-tests.sh runs it.
#
#   common/    nothing of ours
#   parquet/   nothing outside its folder (it could be lifted out as it is)
#   attach/    common/ and the contracts
#   consume/   common/ and the contracts
#   sinks/     common/, parquet/, the contracts, and store/ (where rows land)
#   store/     common/ and parquet/
#   analysis/  common/, parquet/, store/tables.h and recfiles.h: it reads what store
#              wrote, not rows
#   session/   every stage (it wires them), never cmd/ or analysis/
#   cmd/       anything; a subcommand never includes another's file
# The contracts: bpf/wire.h (BPF and user space) and consume/rows.h (rows
# and the sink interface).  No stage reaches back into an earlier one: the
# engine hands the sinks the kernel's counters, nobody asks the tracer.
set -u
cd "$(dirname "$0")/.."
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }

# includes DIR: "file: header" for every quoted include of DIR's files
includes() {
	grep -Ho '^#include "[^"]*"' user/"$1"/*.[ch] 2>/dev/null |
		sed 's/:#include "/: /; s/"$//'
}

# allow DIR PATTERN: every include of DIR's files that names another
# folder matches the extended regex PATTERN
allow() {
	local dir=$1 pat=$2 bad
	bad=$(includes "$dir" | awk -F': ' '$2 ~ /\// { print }' |
		grep -Ev ": ($pat)\$" || true)
	if [ -z "$bad" ]; then
		ok "layers: user/$dir/ includes only what its stage may"
	else
		not_ok "layers: user/$dir/ reaches outside its stage:"
		echo "$bad" | sed 's/^/#   /'
	fi
}

CONTRACT='consume/rows\.h'
allow common '^$'
allow parquet '^$'
allow attach "common/.*|$CONTRACT"
allow consume "common/.*"
allow sinks "common/.*|parquet/.*|store/.*|$CONTRACT"
allow store "common/.*|parquet/.*"
allow analysis "common/.*|parquet/.*|store/(tables|recfiles)\.h"
allow session "(common|parquet|attach|consume|sinks|store)/.*"

# Bare includes must be files of the same folder (or the contracts and
# the generated headers that -I names).
bad=""
for f in user/*/*.[ch]; do
	d=$(dirname "$f")
	for h in $(sed -n 's/^#include "\([^"/]*\)"$/\1/p' "$f"); do
		case $h in
		wire.h | mlprobe.h | mlprobe.skel.h | build_id.h) continue ;;
		esac
		[ -e "$d/$h" ] || bad+="$f: $h"$'\n'
	done
done
if [ -z "$bad" ]; then
	ok "layers: a header without a folder is one of the same folder"
else
	not_ok "layers: headers included without their folder:"
	printf '%s' "$bad" | sed 's/^/#   /'
fi

bad=$(grep -Ho '^#include "cmd/cmd_[^"]*"' user/*/*.[ch] || true)
[ -z "$bad" ] && ok "layers: no subcommand includes another" ||
	not_ok "layers: a subcommand's file is included: $bad"
bad=$(ls user/*.[ch] 2>/dev/null || true)
[ -z "$bad" ] && ok "layers: every source file is in a stage's folder" ||
	not_ok "layers: files outside the folders: $bad"

# A function longer than 150 lines says why, with "long:" in the comment
# above it (within the 8 lines before its opening brace).
bad=$(for f in user/*/*.c; do
	awk -v F="$f" '
		/^\{$/ { start = NR; why = 0; name = l[(NR - 1) % 8]
			  for (i = 1; i <= 8; i++) if (l[(NR - i) % 8] ~ /long:/) why = 1 }
		/^\}$/ && start { if (NR - start > 150 && !why)
				  printf "%s: %s (%d lines)\n", F, name, NR - start
				  start = 0 }
		{ l[NR % 8] = $0 }' "$f"
done)
[ -z "$bad" ] && ok "layers: no function over 150 lines without a reason" ||
	{ not_ok "layers: functions over 150 lines without a 'long:' comment:"
	  echo "$bad" | sed 's/^/#   /'; }

exit $((fails > 0))
