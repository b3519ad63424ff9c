#!/bin/bash
# The check helpers of the shell-level tests (Tests/Netns, Tests/RealSystemd), sourced: one
# "ok"/"not ok" line per check, failures counted in $failures.
failures=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
# wait_until SECONDS CMD...: polls CMD every 0.05 s until it succeeds or the deadline passes.
wait_until() {
	local deadline=$(($(date +%s%N) + $1 * 1000000000)); shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}
