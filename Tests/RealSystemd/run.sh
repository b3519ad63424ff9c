#!/bin/bash
# The real-systemd test: boots Debian's systemd as PID 1 in a throwaway container (container.sh),
# runs scenario.sh inside it (install with the README's commands, then use, break and stop the
# service as an operator would), prints its report and tears everything down, pass or fail.
# Needs root and a release build (`make release`); without root it says it was skipped.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "real-systemd test SKIPPED: it needs root to boot systemd in new namespaces (CI runs as root)"
	exit 0
fi
[ -x "$SRC/.build/release/botstatsd" ] || { echo "real-systemd test: no release build; run 'make release' first"; exit 1; }
CONTAINER=$HERE/container.sh
export CONTAINER_DIR=${CONTAINER_DIR:-/tmp/botstatsd-systemd-test}
trap '"$CONTAINER" teardown >/dev/null 2>&1 || "$CONTAINER" teardown' EXIT
"$CONTAINER" teardown >/dev/null 2>&1 || true
echo "real-systemd test: booting systemd in a container"
if ! "$CONTAINER" boot "$SRC"; then
	tail -40 "$CONTAINER_DIR/console.log"
	exit 1
fi
started=$SECONDS
"$CONTAINER" run bash /src/Tests/RealSystemd/scenario.sh
failures=$?
echo "real-systemd test: $failures failed check(s) in $((SECONDS - started)) s"
if [ "$failures" != 0 ]; then
	echo "--- journal of botstatsd (last 80 lines) ---"
	"$CONTAINER" run journalctl -u botstatsd -u botstatsd.socket --no-pager -n 80 -o short-monotonic || true
	exit 1
fi
