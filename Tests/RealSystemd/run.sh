#!/bin/bash
# The real-systemd test: boots Debian's systemd as PID 1 in a throwaway container (container.sh),
# runs scenario.sh inside it (install with the README's commands, then use, break and stop the
# service as an operator would), then deb-scenario.sh in a second fresh one (the package's life:
# install, upgrade over itself, remove, purge); prints the reports and tears everything down,
# pass or fail. Needs root, a release build and a package (`make deb`); without root it says it was skipped.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "real-systemd test SKIPPED: it needs root to boot systemd in new namespaces (CI runs as root)"
	exit 0
fi
[ -x "$SRC/.build/release/botstatsd" ] || { echo "real-systemd test: no release build; run 'make release' first"; exit 1; }
ls "$SRC"/.build/deb/botstatsd_*.deb >/dev/null 2>&1 || { echo "real-systemd test: no package; run 'make deb' first"; exit 1; }
CONTAINER=$HERE/container.sh
export CONTAINER_DIR=${CONTAINER_DIR:-/tmp/botstatsd-systemd-test}
trap '"$CONTAINER" teardown >/dev/null 2>&1 || "$CONTAINER" teardown' EXIT
total=0
# run_in_fresh_container SCENARIO: boots a new container, runs SCENARIO inside, tears it down.
run_in_fresh_container() {
	local scenario=$1 failures started
	"$CONTAINER" teardown >/dev/null 2>&1 || true
	echo "real-systemd test: booting systemd in a container for $scenario"
	if ! "$CONTAINER" boot "$SRC"; then
		tail -40 "$CONTAINER_DIR/console.log"
		total=$((total + 1))
		return
	fi
	started=$SECONDS
	"$CONTAINER" run bash "/src/Tests/RealSystemd/$scenario"
	failures=$?
	echo "real-systemd test: $scenario: $failures failed check(s) in $((SECONDS - started)) s"
	if [ "$failures" != 0 ]; then
		echo "--- journal of botstatsd (last 80 lines) ---"
		"$CONTAINER" run journalctl -u botstatsd -u botstatsd.socket --no-pager -n 80 -o short-monotonic || true
		total=$((total + failures))
	fi
	"$CONTAINER" teardown >/dev/null 2>&1 || "$CONTAINER" teardown
}
# Installed from source with `make install`, then from the package `make deb` built
# (SCENARIOS=deb-scenario.sh runs one alone).
for scenario in ${SCENARIOS:-scenario.sh deb-scenario.sh}; do
	run_in_fresh_container "$scenario"
done
[ "$total" = 0 ]
