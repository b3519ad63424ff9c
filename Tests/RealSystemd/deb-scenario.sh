#!/bin/bash
# Runs INSIDE a fresh test container (see run.sh), as root: the package's life on an operator's
# machine. Install the .deb that `make deb` built with the README's commands, configure, start and
# use the service, upgrade over itself with state and configuration kept, remove, purge. Prints
# one "ok"/"not ok" line per check and exits with the number of failed checks.
set -uo pipefail
source /src/Tests/RealSystemd/lib.sh
DEB=$(cd "$SRC" && ls .build/deb/botstatsd_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -n 1)
UNITS="botstatsd.socket botstatsd.service"

useradd --create-home alice
start_fake_list
cd "$SRC" || exit 100
require "make deb built a package" [ -n "$DEB" ]

# --- Install: the socket is enabled and listening, the service waits for a configuration -------
run_readme_command sudo apt install "./$DEB" </dev/null >/tmp/apt.log 2>&1
installed=$?
tail -4 /tmp/apt.log | sed 's/^/# apt: /'
require "apt install ./$DEB succeeds" [ "$installed" = 0 ]
check "dpkg knows the package" bash -c "dpkg-query -W -f='\${Status}' botstatsd | grep -q 'install ok installed'"
check "the user and group botstatsd exist" bash -c "getent passwd botstatsd >/dev/null && getent group botstatsd >/dev/null"
check "the socket is enabled" [ "$(systemctl is-enabled botstatsd.socket)" = enabled ]
check "the socket is listening" [ "$(prop ActiveState botstatsd.socket)" = active ]
check "/run/botstatsd is 0750 botstatsd:botstatsd" [ "$(stat -c '%a %U:%G' /run/botstatsd)" = "750 botstatsd:botstatsd" ]
check "the configuration is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' botstatsd | grep -q /etc/botstatsd/botstatsd.toml"
check "the token directory is 0700" [ "$(stat -c %a /etc/botstatsd/tokens)" = 700 ]
check "manual pages are installed" bash -c \
	"ls /usr/share/man/man8/botstatsd.8.gz /usr/share/man/man1/botstatsctl.1.gz /usr/share/man/man5/botstatsd.toml.5.gz >/dev/null"
check "completions are installed" bash -c \
	"ls /usr/share/bash-completion/completions/botstatsctl /usr/share/zsh/vendor-completions/_botstatsctl /usr/share/fish/vendor_completions.d/botstatsctl.fish >/dev/null"
check "botstatsctl --version names the version and revision" bash -c "botstatsctl --version | grep -q 'git '"

# --- Configure and start, the README's way -------------------------------------------------------
usermod -aG botstatsd alice
install -m 0600 /dev/stdin /etc/botstatsd/tokens/topgg <<< 'tok-topgg-SECRET-1111'
install -m 0600 /dev/stdin /etc/botstatsd/tokens/discordbotlist <<< 'tok-dbl-SECRET-2222'
TOKENS='tok-topgg-SECRET-1111\|tok-dbl-SECRET-2222'
write_config ""
check "the configuration passes the check" botstatsd --check-config --config /etc/botstatsd/botstatsd.toml
run_readme_command sudo systemctl enable --now botstatsd.service
require "the service becomes active" wait_until 20 is_active
check "root: botstatsctl set" botstatsctl set --servers 1520 --users 88000
check "top.gg got the counts with its credential token" wait_until 10 bash -c \
	"grep '/topgg/v1/projects/@me/metrics' $REQUESTS | grep -q 'Bearer tok-topgg-SECRET-1111'"
check "a group member: status" as_user alice botstatsctl status

# --- Upgrade over itself: the daemon restarts on the new files, state and configuration kept ----
pid=$(main_pid)
cp /etc/botstatsd/botstatsd.toml /tmp/before-upgrade.toml
apt install -y --reinstall "./$DEB" >/tmp/upgrade.log 2>&1
check "reinstalling the package (an upgrade to the same version) succeeds" [ $? = 0 ]
check "the upgrade kept the configuration" cmp -s /tmp/before-upgrade.toml /etc/botstatsd/botstatsd.toml
check "the upgrade restarted the service" wait_until 20 bash -c \
	"[ \"\$(systemctl show -P ActiveState botstatsd)\" = active ] && [ \"\$(systemctl show -P MainPID botstatsd)\" != $pid ]"
check "the upgrade kept the counts" bash -c "botstatsctl status --json | grep -q '\"servers\" : 1520'"
check "the service is still enabled" [ "$(systemctl is-enabled botstatsd.service)" = enabled ]

# --- Remove: stopped, files gone, configuration and state kept -----------------------------------
run_readme_command sudo apt remove botstatsd <<< Y >/tmp/remove.log 2>&1
check "apt remove succeeds" [ $? = 0 ]
check "remove stopped the service" [ "$(prop ActiveState)" != active ]
check "remove stopped the socket" [ "$(prop ActiveState botstatsd.socket)" != active ]
check "remove took the binaries" bash -c "[ ! -e /usr/bin/botstatsd ] && [ ! -e /usr/bin/botstatsctl ]"
check "remove kept the configuration" [ -f /etc/botstatsd/botstatsd.toml ]
check "remove kept the state" bash -c "ls /var/lib/botstatsd | grep -q ."
check "the daemon exited 0 when removed" [ "$(prop ExecMainStatus)" = 0 ]

# --- Purge: nothing of botstatsd left but its system user --------------------------------------
run_readme_command sudo apt purge botstatsd <<< Y >/tmp/purge.log 2>&1
check "apt purge succeeds" [ $? = 0 ]
check "purge took the configuration" [ ! -e /etc/botstatsd/botstatsd.toml ]
check "purge took the state" [ ! -e /var/lib/botstatsd ]
check "purge left no unit files or links" bash -c \
	"[ -z \"\$(find /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system -name 'botstatsd*' 2>/dev/null)\" ]"
check "dpkg forgot the package" bash -c "! dpkg-query -W -f='\${Status}' botstatsd 2>/dev/null | grep -q installed"

# --- Nothing leaked, nothing to ask about --------------------------------------------------------
check "no token in the journal" bash -c "! journalctl -o cat | grep -q '$TOKENS'"
unexpected=$(journalctl -u botstatsd -u botstatsd.socket -p warning -o cat)
echo "$unexpected" | sed '/^$/d; s/^/# unexpected warning: /'
check "journalctl -p warning holds nothing" [ -z "$unexpected" ]

exit "$failures"
