#!/bin/bash
# A throwaway machine for the real-systemd test: Debian's own systemd booted as PID 1 in fresh
# PID, mount, UTS, IPC, network and cgroup namespaces, on an overlay of this machine's root whose
# writes all land in a tmpfs. Needs root.
#
#   container.sh boot SRC     boot; SRC (the checkout) is bind-mounted read-only at /src inside
#   container.sh run CMD...   run CMD inside (all namespaces, the container's root, clean env)
#   container.sh teardown     power off, kill what is left, unmount; safe to run twice
#
# Work files live in $CONTAINER_DIR (default /tmp/botstatsd-systemd-test): pid files, the
# overlay, and console.log (what systemd printed on its console).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${CONTAINER_DIR:-/tmp/botstatsd-systemd-test}
ROOT=$DIR/root
CGROUP2=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
CG=$CGROUP2/botstatsd-systemd-test

die() { echo "container.sh: $*" >&2; exit 1; }

container_pid() {
	local pid
	pid=$(cat "$DIR/pid" 2>/dev/null) || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ] || return 1
	echo "$pid"
}

boot() {
	local src=$1
	[ "$(id -u)" = 0 ] || die "needs root"
	[ -n "$CGROUP2" ] || die "no cgroup2 mount on this machine"
	if container_pid >/dev/null || mountpoint -q "$ROOT" || [ -d "$CG" ]; then
		die "an earlier container is still there; run: $0 teardown"
	fi
	mkdir -p "$DIR/rw" "$ROOT"
	# The overlay's upper layer must be on another file system than the lower one (/).
	mount -t tmpfs -o size=4g,mode=755 botstatsd-test-rw "$DIR/rw"
	mkdir -p "$DIR/rw/upper" "$DIR/rw/work"
	# /etc and /var are copied whole and made opaque: an overlay whose lower /etc changes
	# while it is mounted (other work on this machine) shows a mix of old and new files.
	for d in etc var home; do
		if [ "$d" = home ]; then mkdir -p "$DIR/rw/upper/home"; else cp -a "/$d" "$DIR/rw/upper/$d"; fi
		python3 -c 'import os,sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")' "$DIR/rw/upper/$d"
	done
	# The container starts as a machine that never had botstatsd or the test's users; and as a
	# server, not a container image: no policy-rc.d forbidding packages to start services.
	python3 "$HERE/forget_accounts.py" "$DIR/rw/upper/etc" botstatsd alice bob
	mount -t overlay botstatsd-test-root -o "lowerdir=/,upperdir=$DIR/rw/upper,workdir=$DIR/rw/work" "$ROOT"
	local p
	for p in usr/bin/botstatsd usr/bin/botstatsctl usr/local/bin/botstatsd usr/local/bin/botstatsctl \
		lib/systemd/system/botstatsd.service lib/systemd/system/botstatsd.socket \
		usr/lib/systemd/system/botstatsd.service usr/lib/systemd/system/botstatsd.socket \
		usr/lib/sysusers.d/botstatsd.conf usr/lib/tmpfiles.d/botstatsd.conf \
		usr/share/doc/botstatsd usr/local/share/doc/botstatsd etc/botstatsd var/lib/botstatsd \
		var/lib/private/botstatsd etc/systemd/system/botstatsd.service.d etc/systemd/system/botstatsd.socket.d \
		etc/systemd/system/multi-user.target.wants/botstatsd.service \
		etc/systemd/system/sockets.target.wants/botstatsd.socket \
		usr/sbin/policy-rc.d; do
		if [ -e "$ROOT/$p" ] || [ -L "$ROOT/$p" ]; then rm -rf "${ROOT:?}/$p"; fi
	done
	mkdir -p "$ROOT/src"

	local units=$ROOT/etc/systemd/system
	echo botstatsd-test > "$ROOT/etc/hostname"
	ln -sfn /lib/systemd/system/multi-user.target "$units/default.target"
	# Units that make no sense in a container sharing this machine's kernel.
	for u in getty@tty1.service getty.target console-getty.service serial-getty@.service \
		systemd-timesyncd.service systemd-networkd-wait-online.service systemd-pstore.service \
		systemd-modules-load.service kmod-static-nodes.service systemd-binfmt.service \
		systemd-random-seed.service postgresql.service e2scrub_reap.service ssh.service \
		apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
		fstrim.timer man-db.timer; do
		ln -sfn /dev/null "$units/$u"
	done
	mkdir -p "$ROOT/etc/systemd/journald.conf.d"
	printf '[Journal]\nStorage=volatile\nRateLimitBurst=0\n' > "$ROOT/etc/systemd/journald.conf.d/test.conf"

	: > "$DIR/console.log"
	rm -f "$DIR/pid" "$DIR/unshare.pid" "$DIR/console.pid"
	# terminal.py gives the container a terminal for /dev/console; unshare makes the namespaces;
	# pid1.sh becomes PID 1, builds the container's mounts, pivots and execs systemd.
	setsid python3 "$HERE/terminal.py" "$DIR/console.log" "$DIR/unshare.pid" \
		unshare --pid --fork --mount --uts --ipc --net --propagation private \
		env CONTAINER_ROOT="$ROOT" CONTAINER_CGROUP="$CG" CONTAINER_SRC="$src" /bin/sh "$HERE/pid1.sh" \
		</dev/null >"$DIR/terminal.log" 2>&1 &
	echo $! > "$DIR/console.pid"

	local upid="" pid="" state=""
	for _ in $(seq 100); do [ -s "$DIR/unshare.pid" ] && break; sleep 0.1; done
	upid=$(cat "$DIR/unshare.pid" 2>/dev/null) || die "unshare did not start; see $DIR/terminal.log"
	for _ in $(seq 100); do
		pid=$(cat "/proc/$upid/task/$upid/children" 2>/dev/null | awk '{print $1}') || true
		[ -n "$pid" ] && break; sleep 0.1
	done
	[ -n "$pid" ] || die "no PID 1 appeared; see $DIR/console.log"
	echo "$pid" > "$DIR/pid"
	local deadline=$((SECONDS + 90))
	while [ $SECONDS -lt $deadline ]; do
		sleep 0.3
		kill -0 "$pid" 2>/dev/null || { tail -50 "$DIR/console.log"; die "systemd died while booting"; }
		state=$(nsenter -t "$pid" -a systemctl is-system-running 2>/dev/null || true)
		case $state in running|degraded) return 0 ;; esac
	done
	die "boot did not finish in 90 s (state: $state)"
}

run_inside() {
	local pid
	pid=$(container_pid) || die "no container is running"
	nsenter -t "$pid" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# Is host process $1 in the container's cgroup subtree? (a recycled pid is not)
ours() { grep -qE "^0::/${CG#"$CGROUP2"/}(/|\$)" "/proc/$1/cgroup" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
wait_gone() { for _ in $(seq "$2"); do gone "$1" && return 0; sleep 0.1; done; gone "$1"; }

teardown() {
	local pid upid cpid left=""
	if pid=$(container_pid) && ours "$pid"; then
		kill -s RTMIN+4 "$pid" 2>/dev/null || true    # systemd: power off
		wait_gone "$pid" 100 || { kill -9 "$pid" 2>/dev/null || true; wait_gone "$pid" 50 || true; }
	fi
	# unshare ends with its child, terminal.py when the terminal closes.
	for f in unshare.pid console.pid; do
		upid=$(cat "$DIR/$f" 2>/dev/null) || continue
		wait_gone "$upid" 30 || { kill "$upid" 2>/dev/null || true; wait_gone "$upid" 20 || true; }
	done
	if [ -d "$CG" ]; then
		for _ in 1 2 3; do
			cpid=$(find "$CG" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
			[ -z "$cpid" ] && break
			for p in $cpid; do ours "$p" && kill -9 "$p" 2>/dev/null; done
			sleep 0.3
		done
		for _ in $(seq 20); do
			find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null || true
			[ -d "$CG" ] || break
			sleep 0.2
		done
	fi
	for m in "$ROOT" "$DIR/rw"; do
		for _ in $(seq 20); do mountpoint -q "$m" || break; umount "$m" 2>/dev/null || sleep 0.2; done
		if mountpoint -q "$m"; then umount -l "$m"; fi
	done
	rm -f "$DIR/pid" "$DIR/unshare.pid" "$DIR/console.pid"
	rmdir "$ROOT" "$DIR/rw" 2>/dev/null || true
	grep -qF " $DIR/" /proc/mounts && left="$left mounts"
	[ -d "$CG" ] && left="$left cgroup"
	[ -z "$left" ] || die "teardown left:$left"
}

case ${1:-} in
boot) [ $# = 2 ] || die "usage: $0 boot SRC"; boot "$(cd "$2" && pwd)" ;;
run) shift; run_inside "$@" ;;
teardown) teardown ;;
*) die "usage: $0 boot SRC | run CMD... | teardown" ;;
esac
