#!/bin/sh
# PID 1 of the container's fresh PID namespace (see container.sh): joins its own cgroup and a
# new cgroup namespace, builds /proc /sys /dev /run /tmp on the overlay root, binds the checkout
# at /src, pivots into the root and execs systemd. Every mount is private to this namespace.
set -eu
ROOT=$CONTAINER_ROOT
CG=$CONTAINER_CGROUP

if [ "${1:-}" != --in-cgroup-namespace ]; then
	mkdir -p "$CG"
	echo 0 > "$CG/cgroup.procs"
	exec unshare --cgroup -- /bin/sh "$0" --in-cgroup-namespace
fi

TERMINAL=$(readlink /proc/self/fd/0)

# /proc of this PID namespace, with /proc/sys read-only so nothing inside can change the
# shared kernel's settings.
mount -t proc -o nosuid,nodev,noexec proc "$ROOT/proc"
mount --bind "$ROOT/proc/sys" "$ROOT/proc/sys"
mount -o remount,bind,ro "$ROOT/proc/sys"
if [ -e "$ROOT/proc/sysrq-trigger" ]; then
	mount --bind "$ROOT/proc/sysrq-trigger" "$ROOT/proc/sysrq-trigger"
	mount -o remount,bind,ro "$ROOT/proc/sysrq-trigger"
fi
# A read-only sysfs and a writable cgroup2 rooted at this cgroup namespace.
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$ROOT/sys"
mount -t cgroup2 -o rw,nosuid,nodev,noexec cgroup2 "$ROOT/sys/fs/cgroup"

# A small /dev with the usual nodes and the terminal as /dev/console.
mount -t tmpfs -o mode=755,nosuid,size=4m tmpfs "$ROOT/dev"
for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
	name=${node%%:*}; numbers=${node#*:}
	mknod -m 666 "$ROOT/dev/$name" c "${numbers%%:*}" "${numbers#*:}"
done
mkdir -m 755 "$ROOT/dev/pts" "$ROOT/dev/net"
mkdir -m 1777 "$ROOT/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5,nosuid,noexec devpts "$ROOT/dev/pts"
ln -s pts/ptmx "$ROOT/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$ROOT/dev/shm"
ln -s /proc/self/fd "$ROOT/dev/fd"
ln -s /proc/self/fd/0 "$ROOT/dev/stdin"
ln -s /proc/self/fd/1 "$ROOT/dev/stdout"
ln -s /proc/self/fd/2 "$ROOT/dev/stderr"
touch "$ROOT/dev/console"
mount --bind "$TERMINAL" "$ROOT/dev/console"

mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$ROOT/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$ROOT/tmp"
mount --bind "$CONTAINER_SRC" "$ROOT/src"
mount -o remount,bind,ro "$ROOT/src"

cd "$ROOT"
mkdir -p .old-root
pivot_root . .old-root
umount -l /.old-root
rmdir /.old-root 2>/dev/null || true
cd /
# systemd expects shared mount propagation, as on a real machine; without it mounts made for
# a service (LoadCredential='s /run/credentials/UNIT) never reach the manager's view.
mount --make-rshared /

# Capabilities a container's init must not use on a shared kernel.
exec setpriv --bounding-set -sys_module,-sys_time,-sys_rawio,-mac_admin,-mac_override,-wake_alarm,-block_suspend \
	env -i container=other TERM=vt220 /lib/systemd/systemd --system
