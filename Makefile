# botstatsd — build, run, test, install.
#   make run       install what is missing, build, run the daemon on a local demo configuration
#   make test      install what is missing, build, run every test
#   make install   PREFIX=/usr DESTDIR=/tmp/pkg
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
CONFIG     ?= debug
# What `make install` installs: the release build, unless asked for another explicitly
# (`make install INSTALL_CONFIG=debug`).
INSTALL_CONFIG ?= release
# Release binaries carry the Swift runtime and Foundation inside them: they run on a server
# without the Swift toolchain, start faster and map less memory (see README, Performance).
RELEASE_FLAGS ?= --static-swift-stdlib
DEMO_DIR   := $(CURDIR)/run/demo
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build release run test test-systemd bench install clean

all: build

# A fresh Debian 12 with the Swift toolchain lacks libsystemd's headers and pkg-config; the tests
# also use curl, python3 (the socket-activation launcher) and systemd-analyze.
deps:
	@missing=""; \
	pkg-config --exists libsystemd 2>/dev/null || missing="$$missing libsystemd-dev pkg-config"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG) $(if $(filter release,$(CONFIG)),$(RELEASE_FLAGS))

release:
	$(MAKE) build CONFIG=release

# Serially: the end-to-end tests time real daemons (sub-second answers under hostile load,
# watchdog gaps), which means nothing on 2 cores shared with a 100 MiB answer and 1,000 bots.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --no-parallel
	$(MAKE) test-systemd

# The real-systemd test: boots Debian's systemd in a throwaway container, installs the release
# build with the README's commands and drives the units with systemctl. Needs root (CI runs as
# root); without root it prints that it was skipped.
test-systemd:
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) release; fi
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
	@# Debug info is most of a static binary's size; the symbol table stays for backtraces.
	if command -v strip >/dev/null; then strip --strip-debug $(DESTDIR)$(BINDIR)/botstatsd $(DESTDIR)$(BINDIR)/botstatsctl; fi
	sed -e 's|/usr/bin/|$(BINDIR)/|g' systemd/botstatsd.service > $(DESTDIR)$(UNITDIR)/botstatsd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/botstatsd.service
	install -m 0644 systemd/botstatsd.socket $(DESTDIR)$(UNITDIR)/botstatsd.socket
	install -m 0644 systemd/botstatsd.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/botstatsd.conf
	install -m 0644 systemd/botstatsd.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/botstatsd.conf
	install -m 0644 README.md CHANGELOG.md $(DESTDIR)$(DOCDIR)/
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

clean:
	rm -rf .build run
