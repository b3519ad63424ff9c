# botstatsd — build, run, test, install, package.
#   make run       install what is missing, build, run the daemon on a local demo configuration
#   make test      install what is missing, build, run every test
#   make release   the binaries to install, with their manual pages and completions
#   make install   PREFIX=/usr DESTDIR=/tmp/pkg
#   make deb       botstatsd_<version>_amd64.deb in .build/deb
#   make bench     the performance figures of the README
SHELL      := /bin/bash
SWIFT      ?= swift
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
DOCDIR     ?= $(PREFIX)/share/doc/botstatsd
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
VERSION    := $(shell sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/BotStatsProtocol/BotStatsVersion.swift)
# The revision `--version` names; a tree with uncommitted changes says so.
GIT_REVISION := $(shell git describe --always --dirty --exclude '*' 2>/dev/null || echo unknown)
# Manual pages carry the date of the last commit, so a rebuild of the same tree is identical.
MAN_DATE   ?= $(shell git log -1 --format=%cs 2>/dev/null || date +%F)
CONFIG     ?= debug
# What `make install` installs: the release build, unless asked for another explicitly
# (`make install INSTALL_CONFIG=debug`).
INSTALL_CONFIG ?= release
# Release binaries carry the Swift runtime and Foundation inside them: they run on a server
# without the Swift toolchain, start faster and map less memory (see README, Performance). The
# linker folds identical functions whose address is never taken (gold's --icf=safe): 130 KB less
# for botstatsctl.
RELEASE_FLAGS ?= --static-swift-stdlib -Xlinker --icf=safe
DEMO_DIR   := $(CURDIR)/run/demo
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build release man completions run test test-netns test-systemd format lint bench install deb clean

all: build

# A fresh Debian 12 with the Swift toolchain lacks libsystemd's headers and pkg-config; the tests
# also use curl, python3 (the socket-activation launcher), systemd-analyze and ip (iproute2).
deps:
	@missing=""; \
	pkg-config --exists libsystemd 2>/dev/null || missing="$$missing libsystemd-dev pkg-config"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	BOTSTATSD_GIT_REVISION=$(if $(filter release,$(CONFIG)),$(GIT_REVISION)) \
		$(SWIFT) build -c $(CONFIG) $(if $(filter release,$(CONFIG)),$(RELEASE_FLAGS))

release:
	$(MAKE) build CONFIG=release
	$(MAKE) man completions CONFIG=release

# botstatsd.8 and botstatsctl.1 from the commands' own definitions, with swift-argument-parser's
# generate-manual tool run on the built binaries (what `swift package plugin generate-manual`
# makes, without its rebuilding .build/release in another way); botstatsd.toml.5 is written by hand.
man:
	$(SWIFT) build --product generate-manual
	@mkdir -p .build/man
	.build/debug/generate-manual .build/$(CONFIG)/botstatsd --section 8 --date $(MAN_DATE) \
		--authors "The botstatsd authors" --output-directory .build/man
	.build/debug/generate-manual .build/$(CONFIG)/botstatsctl --section 1 --date $(MAN_DATE) \
		--authors "The botstatsd authors" --output-directory .build/man
	cp man/botstatsd.toml.5 .build/man/

completions:
	@mkdir -p .build/completions
	for shell in bash zsh fish; do \
		.build/$(CONFIG)/botstatsctl --generate-completion-script $$shell > .build/completions/botstatsctl.$$shell; \
	done

# Serially: the end-to-end tests time real daemons (sub-second answers under hostile load,
# watchdog gaps), which means nothing on 2 cores shared with a 100 MiB answer and 1,000 bots.
test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --no-parallel
	$(MAKE) test-netns
	$(MAKE) test-systemd

# The code's layout is swift-format's (configuration in .swift-format; only its pretty printer,
# no lint rules): `make format` rewrites the sources, `make lint` (part of `make test`) fails on
# any difference.
format:
	$(SWIFT) format format --in-place --recursive --configuration .swift-format Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --recursive --configuration .swift-format Sources Tests Package.swift

# The network intake across real hosts: network namespaces joined by veth pairs, the daemon in
# one, eight shard clients in the others. Needs root; without root it prints that it was skipped.
test-netns:
	Tests/Netns/run.sh .build/debug

# The real-systemd test: boots Debian's systemd in a throwaway container, installs the release
# build with the README's commands and drives the units with systemctl; then, in a second one,
# installs the package `make deb` built, upgrades it over itself, removes and purges it. Needs root (CI runs as
# root); without root it prints that it was skipped.
test-systemd:
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) deb; fi
	Tests/RealSystemd/run.sh

run: build
	@mkdir -p $(DEMO_DIR)/state
	@sed -e 's|@DEMO_DIR@|$(DEMO_DIR)|g' etc/botstatsd/demo.toml > $(DEMO_DIR)/botstatsd.toml
	@chmod 600 $(DEMO_DIR)/botstatsd.toml
	@echo "botstatsd demo: dry run, nothing is sent anywhere; configuration in $(DEMO_DIR)/botstatsd.toml"
	@echo "In another terminal try:"
	@echo "  export BOTSTATSD_SOCKET=$(DEMO_DIR)/control.sock"
	@echo "  .build/$(CONFIG)/botstatsctl set --servers 1520 --users 88000 --shards 2"
	@echo "  .build/$(CONFIG)/botstatsctl status"
	@echo "  .build/$(CONFIG)/botstatsctl status --json"
	@echo "  .build/$(CONFIG)/botstatsctl post"
	@echo "Stop the daemon with Ctrl-C."
	@echo
	exec .build/$(CONFIG)/botstatsd --config $(DEMO_DIR)/botstatsd.toml --dry-run

# Installs what `make release` built. Unit files name /usr/bin: with another PREFIX they are
# rewritten to the real paths.
# Figures for the README: release build, everything on 127.0.0.1 (see bench/bench.py).
bench: release
	python3 bench/bench.py .build/release

install:
	@test -x .build/$(INSTALL_CONFIG)/botstatsd -a -x .build/$(INSTALL_CONFIG)/botstatsctl || { \
		echo "nothing to install: no $(INSTALL_CONFIG) build; run 'make release' first"; exit 1; }
	@newer=$$(find Sources Package.swift -newer .build/$(INSTALL_CONFIG)/botstatsd -print -quit 2>/dev/null); \
	if [ -n "$$newer" ]; then echo "warning: $$newer is newer than the $(INSTALL_CONFIG) build; run 'make release' to install it"; fi
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 .build/$(INSTALL_CONFIG)/botstatsd $(DESTDIR)$(BINDIR)/botstatsd
	install -m 0755 .build/$(INSTALL_CONFIG)/botstatsctl $(DESTDIR)$(BINDIR)/botstatsctl
	@# Debug information and the symbol table are most of a static binary's size, and the unit
	@# turns the Swift backtracer off (it cannot run under MemoryDenyWriteExecute=) anyway.
	if command -v strip >/dev/null; then strip --strip-all $(DESTDIR)$(BINDIR)/botstatsd $(DESTDIR)$(BINDIR)/botstatsctl; fi
	sed -e 's|/usr/bin/|$(BINDIR)/|g' systemd/botstatsd.service > $(DESTDIR)$(UNITDIR)/botstatsd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/botstatsd.service
	install -m 0644 systemd/botstatsd.socket $(DESTDIR)$(UNITDIR)/botstatsd.socket
	install -m 0644 systemd/botstatsd.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/botstatsd.conf
	install -m 0644 systemd/botstatsd.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/botstatsd.conf
	install -m 0644 README.md CHANGELOG.md LICENSE $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/docs/
	cp -R examples/. $(DESTDIR)$(DOCDIR)/examples/
	@test -f .build/man/botstatsd.8 -a -f .build/completions/botstatsctl.bash || { \
		echo "no manual pages or completions: run 'make release' (or 'make man completions CONFIG=$(INSTALL_CONFIG)')"; exit 1; }
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 .build/man/botstatsctl.1 $(DESTDIR)$(MANDIR)/man1/botstatsctl.1
	install -m 0644 .build/man/botstatsd.toml.5 $(DESTDIR)$(MANDIR)/man5/botstatsd.toml.5
	install -m 0644 .build/man/botstatsd.8 $(DESTDIR)$(MANDIR)/man8/botstatsd.8
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0644 .build/completions/botstatsctl.bash $(DESTDIR)$(BASHCOMPDIR)/botstatsctl
	install -m 0644 .build/completions/botstatsctl.zsh $(DESTDIR)$(ZSHCOMPDIR)/_botstatsctl
	install -m 0644 .build/completions/botstatsctl.fish $(DESTDIR)$(FISHCOMPDIR)/botstatsctl.fish
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/botstatsd/bots.d
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/botstatsd/tokens
	@# Never overwrite an operator's configuration.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/botstatsd/botstatsd.toml ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/botstatsd/botstatsd.toml"; \
	else \
		install -m 0644 etc/botstatsd/botstatsd.toml $(DESTDIR)$(SYSCONFDIR)/botstatsd/botstatsd.toml; \
	fi
	@set -e; if [ -z "$(DESTDIR)" ] && command -v systemctl >/dev/null; then \
		echo "systemd-sysusers, systemd-tmpfiles --create, systemctl daemon-reload"; \
		systemd-sysusers $(SYSUSERSDIR)/botstatsd.conf; \
		systemd-tmpfiles --create $(TMPFILESDIR)/botstatsd.conf; \
		systemctl daemon-reload 2>/dev/null || true; \
	fi

# A Debian package of what `make release` built, made with dpkg-deb (see packaging/); checked
# with lintian when it is installed.
deb: release
	packaging/build-deb.sh .build/deb $(VERSION)

clean:
	rm -rf .build run
