#!/bin/sh
# cron.sh: hand a bot's counts to botstatsd from cron, for a bot that would rather write a
# file than talk to a socket. botstatsd does the rest: it posts to every list, obeys their
# rate limits and reposts hourly, so every 30 minutes is plenty.
#
# The bot writes its counts to a file, one line: SERVERS [USERS [SHARDS]]
#     echo "1520 88000" > /var/lib/mybot/counts
# or any command prints that line (COUNTS_COMMAND, run with sh -c). Then, in the crontab of a
# user in the group botstatsd (crontab -e):
#     */30 * * * * COUNTS_FILE=/var/lib/mybot/counts /usr/local/bin/botstatsd-cron.sh
#     */30 * * * * COUNTS_COMMAND='mybot-admin stats --plain' /usr/local/bin/botstatsd-cron.sh
#
# The one-liner, when the server count is a file of its own (cron mails anything on stderr):
#     */30 * * * * botstatsctl set --servers "$(cat /var/lib/mybot/servers)" >/dev/null
#
# Environment: COUNTS_FILE (default /var/lib/mybot/counts), COUNTS_COMMAND, BOT (which bot,
# when the daemon serves several), BOTSTATSCTL (default botstatsctl), BOTSTATSD_SOCKET (read
# by botstatsctl; default /run/botstatsd/control.sock).
#
# Exit codes are botstatsctl's: 0 handed over (accepted, or held back by the drop guard:
# then a line on stderr), 1 the daemon refused (the reason is on stderr), 2 the counts could
# not be read or are not numbers, 3 botstatsd is not running.
set -u
COUNTS_FILE=${COUNTS_FILE:-/var/lib/mybot/counts}
BOTSTATSCTL=${BOTSTATSCTL:-botstatsctl}

if [ -n "${COUNTS_COMMAND:-}" ]; then
    line=$(sh -c "$COUNTS_COMMAND") || { echo "cron.sh: COUNTS_COMMAND failed" >&2; exit 2; }
else
    line=$(cat "$COUNTS_FILE") || exit 2
fi
# shellcheck disable=SC2086 # split the line into its numbers
set -- $line
servers=${1:-} users=${2:-} shards=${3:-}
for value in "$servers" "$users" "$shards"; do
    case $value in *[!0-9]*) echo "cron.sh: '$line' is not SERVERS [USERS [SHARDS]]" >&2; exit 2 ;; esac
done
[ -n "$servers" ] || { echo "cron.sh: no server count in ${COUNTS_COMMAND:-$COUNTS_FILE}" >&2; exit 2; }

set -- set --servers "$servers"
[ -n "$users" ] && set -- "$@" --users "$users"
[ -n "$shards" ] && set -- "$@" --shards "$shards"
[ -n "${BOT:-}" ] && set -- "$@" --bot "$BOT"

# botstatsctl prints one line, e.g. "main: counts saved (1520 servers, 88000 users); posting to topgg".
# On failure it has already written the reason to stderr, which cron mails.
answer=$("$BOTSTATSCTL" "$@")
code=$?
case $code in
0) case $answer in *"held back"*) echo "cron.sh: $answer" >&2 ;; esac ;;
3) echo "cron.sh: the counts were not handed over; start botstatsd (systemctl start botstatsd)" >&2 ;;
esac
exit $code
