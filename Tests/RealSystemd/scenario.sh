#!/bin/bash
# Runs INSIDE the test container (see run.sh), as root, as an operator would on a fresh Debian
# machine: install with the README's commands, configure, start, use, break and stop botstatsd
# under the real systemd, and check what it does. Prints one "ok"/"not ok" line per check and
# exits with the number of failed checks.
set -uo pipefail
source /src/Tests/RealSystemd/lib.sh

# --- The machine: two local users and a stand-in for every bot list --------------------------
useradd --create-home alice
useradd --create-home bob
start_fake_list

# --- Install, the README's way (the binaries were built by `make release` outside) -----------
cd "$SRC" || exit 100
run_readme_command sudo make install PREFIX=/usr >/tmp/install.log 2>&1
installed=$?
sed 's/^/# install: /' /tmp/install.log | tail -4
require "make install PREFIX=/usr succeeds" [ "$installed" = 0 ]
check "make install installs the release build (Swift runtime linked in)" bash -c \
	"! ldd /usr/bin/botstatsd /usr/bin/botstatsctl | grep -q libswiftCore"
require "the user and group botstatsd exist" bash -c "getent passwd botstatsd && getent group botstatsd" >/dev/null
usermod -aG botstatsd alice
run_readme_command "install -m 0600 /dev/stdin /etc/botstatsd/tokens/topgg <<< 'tok-topgg-SECRET-1111'"
install -m 0600 /dev/stdin /etc/botstatsd/tokens/discordbotlist <<< 'tok-dbl-SECRET-2222'
install -m 0600 /dev/stdin /etc/botstatsd/tokens/slowlist <<< 'tok-slow-SECRET-3333'
TOKENS='tok-topgg-SECRET-1111\|tok-dbl-SECRET-2222\|tok-slow-SECRET-3333'
check "the README's check command passes on the installed example" \
	botstatsd --check-config --config /etc/botstatsd/botstatsd.toml

write_config ""
check "the operator's configuration passes the check" botstatsd --check-config --config /etc/botstatsd/botstatsd.toml
run_readme_command systemctl enable --now botstatsd.socket botstatsd.service

# --- Starts as shipped -------------------------------------------------------------------------
require "the service becomes active (Type=notify: READY=1 arrived)" wait_until 20 is_active
check "the socket unit is active" [ "$(prop ActiveState botstatsd.socket)" = active ]
check "STATUS= is shown" wait_until 5 bash -c "systemctl show -P StatusText botstatsd | grep -q 'lists ok'"
first_invocation=$(prop InvocationID)
check "the service has not restarted" [ "$(prop NRestarts)" = 0 ]
check "the daemon runs as the botstatsd user" [ "$(ps -o user= -p "$(main_pid)")" = botstatsd ]
ls -ld /run/botstatsd "$SOCKET" | sed 's/^/# /'

# --- Root posts with the credential tokens -----------------------------------------------------
check "root: botstatsctl set" botstatsctl set --servers 1520 --users 88000
check "top.gg got the counts with its credential token" wait_until 10 bash -c \
	"grep '\"path\": \"/topgg/v1/projects/@me/metrics\"' $REQUESTS | grep -q 'Bearer tok-topgg-SECRET-1111'"
check "discordbotlist got the counts with its credential token" wait_until 10 bash -c \
	"grep '/dbl/bots/123456789012345678/stats' $REQUESTS | grep 'tok-dbl-SECRET-2222' | grep -q '\\\\\"guilds\\\\\": *1520'"

# --- A normal start says nothing an operator would need to ask about ----------------------------
start_log=$(journalctl _SYSTEMD_INVOCATION_ID="$first_invocation" -o cat)
echo "$start_log" | sed 's/^/# first start: /'
check "a normal start logs nothing at warning or worse" bash -c \
	"[ -z \"\$(journalctl _SYSTEMD_INVOCATION_ID=$first_invocation -p warning -o cat)\" ]"
check "a normal start has no libdispatch or runtime noise" bash -c \
	"! grep -qi 'thread priority\|backtrace\|fatal\|CancellationError' <<< \"\$start_log\""

# --- Group members may, strangers may not ------------------------------------------------------
check "alice (group botstatsd): status" as_user alice botstatsctl status
check "alice (group botstatsd): set" as_user alice botstatsctl set --servers 1521 --users 88000
check "alice (group botstatsd): post" as_user alice botstatsctl post
out=$(as_user bob botstatsctl status 2>&1); code=$?
echo "$out" | sed 's/^/# bob: /'
check "bob (not in the group) cannot use the socket" [ "$code" != 0 ]
check "bob is told why, with the socket's path" bash -c "grep -q '$SOCKET' <<< '$out' && grep -qi 'permission denied' <<< '$out'"
out=$(as_user bob botstatsctl set --servers 1 2>&1); code=$?
check "bob cannot set" [ "$code" != 0 ]

# --- Hardening as loaded -------------------------------------------------------------------------
score() { "$@" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p'; }
online=$(score systemd-analyze security botstatsd.service)
offline=$(score systemd-analyze security --offline=true /lib/systemd/system/botstatsd.service)
echo "# systemd-analyze security: online $online, offline $offline"
check "exposure online <= 1.5" awk -v s="$online" 'BEGIN { exit !(s != "" && s <= 1.5) }'
check "exposure offline <= 1.5" awk -v s="$offline" 'BEGIN { exit !(s != "" && s <= 1.5) }'
check "systemd-analyze verify is clean" bash -c \
	"[ -z \"\$(systemd-analyze verify /lib/systemd/system/botstatsd.service /lib/systemd/system/botstatsd.socket 2>&1)\" ]"

# --- Reload: a good configuration applies, a bad one is refused and the old one keeps serving --
pid=$(prop MainPID)
write_config '
[targets.slowlist]
provider = "topgg"
token_credential = "slowlist"
base_url = "'$FAKE'/deferred"'
check "systemctl reload with a good configuration succeeds" systemctl reload botstatsd
check "the reload kept the process" [ "$(prop MainPID)" = "$pid" ]
check "the new list is served" bash -c "botstatsctl status --json | grep -q '\"name\" : \"slowlist\"'"
check "the new list was told the counts and asked for a long wait" wait_until 10 bash -c \
	"botstatsctl status --json | tr -d '\n' | grep -q '\"name\" : \"slowlist\".*\"state\" : \"rate_limited\"'"
cp /etc/botstatsd/botstatsd.toml /tmp/good.toml
echo '[targets.broken]
provider = "nosuchlist"' >> /etc/botstatsd/botstatsd.toml
check "systemctl reload with a bad configuration fails" bash -c "! systemctl reload botstatsd 2>/dev/null"
check "the failed reload kept the process" [ "$(prop MainPID)" = "$pid" ]
check "the unit is still active" is_active
check "STATUS= says the reload failed" bash -c "systemctl show -P StatusText botstatsd | grep -q 'reload failed'"
check "the old configuration keeps serving" botstatsctl set --servers 1522 --users 88000
cp /tmp/good.toml /etc/botstatsd/botstatsd.toml
check "a fixed configuration reloads" systemctl reload botstatsd

# --- Stop with everything in flight: a post waiting on a list that deferred us, an idle
#     client, a client that never reads its answers ----------------------------------------------
timeout 30 botstatsctl --timeout 60s post --target slowlist >/tmp/post.out 2>&1 &
python3 -c "import socket, time; s = socket.socket(socket.AF_UNIX); s.connect('$SOCKET'); time.sleep(60)" &
python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX); s.connect('$SOCKET'); s.setblocking(False)
line = b'{\"v\":1,\"cmd\":\"status\"}\n' * 200
end = time.time() + 60
while time.time() < end:
    try: s.send(line)
    except BlockingIOError: time.sleep(0.05)
    except OSError: break
" &
sleep 1
started=$(now_ms)
systemctl stop botstatsd.service
elapsed=$(($(now_ms) - started))
echo "# systemctl stop took $elapsed ms"
check "systemctl stop returns within the 5 s grace" [ "$elapsed" -lt 5500 ]
check "the stopped unit is inactive, not failed" [ "$(prop ActiveState)" = inactive ]
check "the daemon exited 0" [ "$(prop ExecMainStatus)" = 0 ]
check "the result is success" [ "$(prop Result)" = success ]
kill %2 %3 2>/dev/null
wait 2>/dev/null

# --- Socket activation ---------------------------------------------------------------------------
check "the socket stays active while the service is stopped" [ "$(prop ActiveState botstatsd.socket)" = active ]
check "a group member's status starts the service" as_user alice botstatsctl status
check "the service is active again" wait_until 10 is_active
check "the counts survived the stop" bash -c "botstatsctl status --json | grep -q '\"servers\" : 1522'"

# --- kill -9: restarted, counts kept ----------------------------------------------------------
require "the service runs before kill -9" main_pid >/dev/null
pid=$(main_pid); restarts=$(prop NRestarts)
kill -9 "$pid"
check "kill -9: systemd restarts it" wait_until 20 bash -c \
	"[ \"\$(systemctl show -P NRestarts botstatsd)\" -gt $restarts ] && [ \"\$(systemctl show -P ActiveState botstatsd)\" = active ]"
check "kill -9: the counts are kept" bash -c "botstatsctl status --json | grep -q '\"servers\" : 1522'"

# --- A wedged daemon is killed by the watchdog and restarted ------------------------------------
mkdir -p /etc/systemd/system/botstatsd.service.d
printf '[Service]\nWatchdogSec=3s\n' > /etc/systemd/system/botstatsd.service.d/watchdog.conf
systemctl daemon-reload
systemctl restart botstatsd.service
check "restarted with WatchdogSec=3s" wait_until 20 is_active
check "the watchdog is on" [ "$(prop WatchdogUSec)" = 3s ]
require "the service runs before kill -STOP" main_pid >/dev/null
pid=$(main_pid); restarts=$(prop NRestarts)
sleep 4   # healthy: pings keep it alive past one interval
check "a healthy daemon outlives its watchdog interval" [ "$(prop MainPID)" = "$pid" ]
started=$(now_ms)
kill -STOP "$pid"
check "kill -STOP: restarted within WatchdogSec + 10 s" wait_until 13 bash -c \
	"[ \"\$(systemctl show -P MainPID botstatsd)\" != $pid ] && [ \"\$(systemctl show -P ActiveState botstatsd)\" = active ]"
echo "# watchdog restart took $(($(now_ms) - started)) ms"
check "the journal says the watchdog fired" bash -c "journalctl -u botstatsd -o cat | grep -q 'Watchdog timeout'"
rm -r /etc/systemd/system/botstatsd.service.d
systemctl daemon-reload
systemctl restart botstatsd.service
wait_until 20 is_active

# --- Upgrade over itself: state and configuration kept ------------------------------------------
cp /etc/botstatsd/botstatsd.toml /tmp/before-upgrade.toml
make install PREFIX=/usr >/tmp/upgrade.log 2>&1
check "an upgrade keeps the configuration" cmp -s /tmp/before-upgrade.toml /etc/botstatsd/botstatsd.toml
systemctl restart botstatsd
check "after the upgrade the service is active" wait_until 20 is_active
check "after the upgrade the counts are kept" bash -c "botstatsctl status --json | grep -q '\"servers\" : 1522'"

# --- Stopped for good ----------------------------------------------------------------------------
systemctl stop botstatsd.socket botstatsd.service
check "final stop: inactive" [ "$(prop ActiveState)" = inactive ]
check "final stop: exit status 0" [ "$(prop ExecMainStatus)" = 0 ]

# --- Nothing leaked, nothing to ask about --------------------------------------------------------
check "no token in the journal" bash -c "! journalctl -o cat | grep -q '$TOKENS'"
check "no token in the state" bash -c "! grep -rq '$TOKENS' /var/lib/botstatsd /var/lib/private 2>/dev/null"
check "no token in status" bash -c "systemctl start botstatsd && ! botstatsctl status --json | grep -q '$TOKENS'"
systemctl stop botstatsd.socket botstatsd.service
# Every line at warning or worse is one this scenario provoked on purpose.
expected='reload rejected\|post deferred\|list asked for a long wait\|Watchdog timeout\|Killing process\|Main process exited, code=killed\|Main process exited, code=dumped\|Failed with result\|the new configuration\|status=9/KILL\|status=6/ABRT\|Control process exited\|Failed to start\|Reload failed\|reload_failed\|targets.broken.provider'
unexpected=$(journalctl -u botstatsd -p warning -o cat | grep -v "$expected")
echo "$unexpected" | sed '/^$/d; s/^/# unexpected warning: /'
check "journalctl -p warning holds only the warnings and errors provoked here" [ -z "$unexpected" ]

exit "$failures"
