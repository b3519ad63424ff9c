#!/bin/bash
# Shared by the real-systemd scenarios (scenario.sh, deb-scenario.sh), sourced inside the test
# container: the systemd helpers, the fake bot list, the operator's configuration (the check
# helpers are Tests/Shell/checks.sh).
SRC=/src
FAKE=http://127.0.0.1:8099
RULES=/etc/fakelist-rules.json
REQUESTS=/var/log/fakelist.jsonl
SOCKET=/run/botstatsd/control.sock
source "$SRC/Tests/Shell/checks.sh"

# require WHAT CMD...: a check the rest depends on; when it fails, show why and stop here.
require() {
	local what=$1; shift
	if "$@"; then ok "$what"; return; fi
	not_ok "$what"
	echo "# cannot go on; the service's journal:"
	journalctl -u botstatsd -u botstatsd.socket --no-pager -n 40 | sed 's/^/#   /'
	exit "$failures"
}
# main_pid: the service's main process, failing (never 0: `kill 0` would hit this shell's group).
main_pid() { local pid; pid=$(systemctl show -P MainPID botstatsd.service); [ "${pid:-0}" -gt 0 ] && echo "$pid"; }
prop() { systemctl show -P "$1" "${2:-botstatsd.service}"; }
is_active() { [ "$(prop ActiveState)" = active ]; }
as_user() { local user=$1; shift; setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"; }
requests_matching() { grep -c "$1" "$REQUESTS" 2>/dev/null || true; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# run_readme_command CMD: what the README says, verbatim; `sudo ` is dropped (we are root here).
run_readme_command() { local cmd="$*"; cmd=${cmd#sudo }; echo "# $cmd"; bash -c "$cmd"; }


# start_fake_list: a stand-in for every bot list on 127.0.0.1:8099; paths under /deferred answer
# 429 with a 6000 s Retry-After.
start_fake_list() {
	echo '[{"prefix": "/deferred", "status": 429, "headers": {"Retry-After": "6000"}}]' > "$RULES"
	systemd-run --quiet --unit=fakelist /usr/bin/python3 "$SRC/Tests/RealSystemd/fakelist.py" 8099 "$REQUESTS" "$RULES"
	wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/8099" 2>/dev/null || not_ok "the fake list listens"
}

# write_config EXTRA: the operator's configuration, two lists on the fake list, EXTRA appended.
write_config() {
	cat > /etc/botstatsd/botstatsd.toml <<EOF
[bot]
id = "123456789012345678"

[targets.topgg]
token_credential = "topgg"
base_url = "$FAKE/topgg"

[targets.discordbotlist]
token_credential = "discordbotlist"
base_url = "$FAKE/dbl"
$1
EOF
}
