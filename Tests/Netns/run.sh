#!/bin/bash
# The network intake across real hosts: network namespaces joined by veth pairs on a bridge stand
# in for a daemon host and eight shard hosts. The daemon (dry run: nothing leaves for a list)
# serves its intake on 10.77.0.1:8470 inside its namespace; each shard client reports from its
# own namespace with its own token through `botstatsctl --url`. Checks the exact sum, per-client
# scoping, every refusal (401, 403, 413, 429 with Retry-After), the plaintext rule, and that the
# Unix socket keeps working beside the intake. Every address is inside namespaces this test
# creates. Needs root and iproute2; without root it says it was skipped.
#   Tests/Netns/run.sh [BIN_DIR]     (default .build/debug)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BIN=$(cd "${1:-$SRC/.build/debug}" && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "network intake test SKIPPED: it needs root to create network namespaces (CI runs as root)"
	exit 0
fi
command -v ip >/dev/null || { echo "network intake test: iproute2 is missing (make deps installs it)"; exit 1; }
[ -x "$BIN/botstatsd" ] || { echo "network intake test: no $BIN/botstatsd; build first"; exit 1; }

PREFIX=bsdnet$$
DAEMON_NS=${PREFIX}d
CLIENTS=8
DIR=$(mktemp -d /tmp/botstatsd-netns.XXXXXX)
INTAKE=http://10.77.0.1:8470
SOCKET=$DIR/control.sock
daemon_pid=
source "$SRC/Tests/Shell/checks.sh"
teardown() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX"); do ip netns delete "$ns"; done
	rm -rf "$DIR"
}
trap teardown EXIT
in_client() { local i=$1; shift; ip netns exec "${PREFIX}c$i" "$@"; }
ctl() { "$BIN/botstatsctl" --socket "$SOCKET" "$@"; }
# http_code CLIENT CURL-ARGS...: the HTTP status of one intake request made from CLIENT's host.
http_code() { local i=$1; shift; in_client "$i" curl -s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' --max-time 5 "$@"; }
bot_field() { ctl status --json | python3 -c "
import json, sys
report = json.load(sys.stdin)
bot = [b for b in report['bots'] if b['name'] == '$1'][0]
print(bot['counts']['$2'] if bot.get('counts') else '')"; }

# --- The hosts: one bridge in the daemon's namespace, a veth pair to each shard host -----------
ip netns add "$DAEMON_NS"
ip -n "$DAEMON_NS" link set lo up
ip -n "$DAEMON_NS" link add br0 type bridge
ip -n "$DAEMON_NS" addr add 10.77.0.1/24 dev br0
ip -n "$DAEMON_NS" link set br0 up
for i in $(seq 1 $CLIENTS); do
	ns=${PREFIX}c$i
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$DAEMON_NS" link add "h$i" type veth peer name eth0 netns "$ns"
	ip -n "$DAEMON_NS" link set "h$i" master br0 up
	ip -n "$ns" addr add "10.77.0.$((10 + i))/24" dev eth0
	ip -n "$ns" link set eth0 up
done

# --- The daemon's configuration: two bots; clients 1–7 report for main, client 8 for other -----
mkdir -p "$DIR/state" "$DIR/bots.d" "$DIR/tokens"
for i in $(seq 1 $CLIENTS); do
	install -m 0600 /dev/stdin "$DIR/tokens/c$i" <<< "intake-client-$i-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
done
{
	cat <<TOML
[daemon]
control_socket = "$SOCKET"
state_directory = "$DIR/state"
intake_listen = "10.77.0.1:8470"

[intake]
requests_per_minute = 30

[bot]
id = "123456789012345678"

[targets.topgg]
token = "list-token-never-sent"
base_url = "http://127.0.0.1:9/topgg"
TOML
	for i in $(seq 1 $CLIENTS); do
		bots='["main"]'; [ "$i" = "$CLIENTS" ] && bots='["other"]'
		printf '\n[intake.clients.shard%d]\ntoken_file = "%s"\nbots = %s\n' "$i" "$DIR/tokens/c$i" "$bots"
	done
} > "$DIR/botstatsd.toml"
printf '[bot]\nid = "223456789012345678"\n\n[targets.topgg]\ntoken = "other-list-token"\nbase_url = "http://127.0.0.1:9/topgg"\n' > "$DIR/bots.d/other.toml"
chmod 0600 "$DIR/botstatsd.toml" "$DIR/bots.d/other.toml"

# --- Plain HTTP is refused on a public address unless the operator says so ---------------------
sed 's/^intake_listen = .*/intake_listen = "198.51.100.7:8470"/' "$DIR/botstatsd.toml" > "$DIR/public.toml"
chmod 0600 "$DIR/public.toml"
out=$("$BIN/botstatsd" --check-config --config "$DIR/public.toml" 2>&1); code=$?
echo "$out" | sed 's/^/# public address: /'
check "plain HTTP on a public address is refused (exit 78)" [ "$code" = 78 ]
check "the refusal names intake_listen and intake_allow_plaintext" bash -c \
	"grep -q intake_listen <<< '$out' && grep -q intake_allow_plaintext <<< '$out'"
sed -i 's/^intake_listen = .*/&\nintake_allow_plaintext = true/' "$DIR/public.toml"
check "intake_allow_plaintext = true lets the operator choose it" \
	"$BIN/botstatsd" --check-config --config "$DIR/public.toml"

# --- Start the daemon on its host ---------------------------------------------------------------
ip netns exec "$DAEMON_NS" "$BIN/botstatsd" --config "$DIR/botstatsd.toml" --dry-run >"$DIR/daemon.log" 2>&1 &
daemon_pid=$!
if ! wait_until 30 bash -c "'$BIN/botstatsctl' --socket '$SOCKET' status >/dev/null 2>&1"; then
	not_ok "the daemon starts"; sed 's/^/# daemon: /' "$DIR/daemon.log"; exit 1
fi
ok "the daemon starts with its intake on $INTAKE"
check "the intake is reachable from a shard host" wait_until 10 bash -c \
	"ip netns exec ${PREFIX}c1 bash -c 'exec 3<>/dev/tcp/10.77.0.1/8470' 2>/dev/null"

# --- Eight shards on seven hosts report at once; the sum is exact -------------------------------
expected_servers=0; expected_users=0
for i in $(seq 1 $((CLIENTS - 1))); do
	expected_servers=$((expected_servers + 1000 + i)); expected_users=$((expected_users + 50000 + 7 * i))
	in_client "$i" "$BIN/botstatsctl" --url "$INTAKE" --token-file "$DIR/tokens/c$i" \
		set --bot main --servers $((1000 + i)) --users $((50000 + 7 * i)) --shard-id $((i - 1)) --shard-count 7 \
		>"$DIR/set.$i" 2>&1 &
done
set_failures=0
for job in $(jobs -p); do [ "$job" = "$daemon_pid" ] && continue; wait "$job" || set_failures=$((set_failures + 1)); done
check "every shard's set over the intake succeeded" [ "$set_failures" = 0 ]
check "the bot's servers are the exact sum of the seven shards ($expected_servers)" \
	[ "$(bot_field main servers)" = "$expected_servers" ]
check "the bot's users are the exact sum ($expected_users)" [ "$(bot_field main users)" = "$expected_users" ]
check "a shard host can read its bot's status over the intake" bash -c \
	"ip netns exec ${PREFIX}c1 '$BIN/botstatsctl' --url '$INTAKE' --token-file '$DIR/tokens/c1' status --bot main --json | grep -q '\"servers\" : $expected_servers'"

# --- Scoping and refusals -----------------------------------------------------------------------
code=$(http_code 8 -X POST -H "Authorization: Bearer $(cat "$DIR/tokens/c8")" -H 'Content-Type: application/json' \
	--data '{"servers": 5, "users": 6}' "$INTAKE/v1/bots/other/counts")
check "client 8 may report for its own bot (200)" [ "$code" = 200 ]
check "... and the other bot has its counts" [ "$(bot_field other servers)" = 5 ]
code=$(http_code 8 -X POST -H "Authorization: Bearer $(cat "$DIR/tokens/c8")" --data '{"servers": 1}' "$INTAKE/v1/bots/main/counts")
check "client 8 reporting for main is forbidden (403)" [ "$code" = 403 ]
code=$(http_code 1 -H "Authorization: Bearer $(cat "$DIR/tokens/c1")" "$INTAKE/v1/bots/other/status")
check "client 1 reading other's status is forbidden (403)" [ "$code" = 403 ]
code=$(http_code 2 -X POST --data '{"servers": 1}' "$INTAKE/v1/bots/main/counts")
check "no token: 401" [ "$code" = 401 ]
code=$(http_code 2 -X POST -H "Authorization: Bearer intake-client-2-guessed" --data '{"servers": 1}' "$INTAKE/v1/bots/main/counts")
check "an unknown token: 401" [ "$code" = 401 ]
head -c 70000 /dev/zero | tr '\0' ' ' > "$DIR/big.json"
code=$(http_code 3 -X POST -H "Authorization: Bearer $(cat "$DIR/tokens/c3")" --data-binary "@$DIR/big.json" "$INTAKE/v1/bots/main/counts")
check "a body over 64 KiB: 413" [ "$code" = 413 ]
check "no refused request changed main's counts" [ "$(bot_field main servers)" = "$expected_servers" ]
# Client 4 has used 1 of its 30 requests a minute (refilled evenly, half a request a second):
# about 29 more are answered, then it is refused and told when to come back.
answered=0; code=200
while [ "$code" = 200 ] && [ "$answered" -lt 40 ]; do
	code=$(http_code 4 -H "Authorization: Bearer $(cat "$DIR/tokens/c4")" "$INTAKE/v1/bots/main/status")
	[ "$code" = 200 ] && answered=$((answered + 1))
done
echo "# client 4: $answered answered, then HTTP $code"
check "client 4 over its 30 requests a minute: 429" [ "$code" = 429 ]
check "... after about 29 answered (refill slack)" [ "$answered" -ge 29 -a "$answered" -le 33 ]
check "... with a Retry-After header" grep -qi '^retry-after: [0-9]' "$DIR/headers"
code=$(http_code 5 -H "Authorization: Bearer $(cat "$DIR/tokens/c5")" "$INTAKE/v1/bots/main/status")
check "another client is not limited by client 4's requests (200)" [ "$code" = 200 ]

# --- The Unix socket keeps working beside the intake --------------------------------------------
check "the Unix socket: set for other" ctl set --bot other --servers 77 --users 88
check "the Unix socket: the count is there" [ "$(bot_field other servers)" = 77 ]
check "the Unix socket: status of main" bash -c "'$BIN/botstatsctl' --socket '$SOCKET' status --bot main >/dev/null"

# --- No intake token in anything the daemon wrote -----------------------------------------------
tokens=$(cat "$DIR"/tokens/c* | paste -sd'|')
check "no client token in the daemon's log or state" bash -c "! grep -rqE '$tokens' '$DIR/daemon.log' '$DIR/state'"
kill -TERM "$daemon_pid"; wait "$daemon_pid"
check "the daemon stops cleanly (exit 0)" [ $? = 0 ]
daemon_pid=

echo "network intake test: $failures failed check(s)"
[ "$failures" = 0 ]
