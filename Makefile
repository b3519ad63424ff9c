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
CONFIG     ?= debug
DEMO_DIR   := $(CURDIR)/run/demo
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build release run test install clean

all: build

# A fresh Debian 12 with the Swift toolchain lacks libsystemd's headers and pkg-config.
deps:
	@if ! pkg-config --exists libsystemd 2>/dev/null; then \
		echo "installing libsystemd-dev and pkg-config (needed to build)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libsystemd-dev pkg-config; \
	fi
	@command -v curl >/dev/null || $(SUDO) apt-get install -y -qq curl

build: deps
	$(SWIFT) build -c $(CONFIG)

release:
	$(MAKE) build CONFIG=release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

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

install:
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 .build/$(CONFIG)/botstatsd $(DESTDIR)$(BINDIR)/botstatsd
	install -m 0755 .build/$(CONFIG)/botstatsctl $(DESTDIR)$(BINDIR)/botstatsctl
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/botstatsd/bots.d
	@# Never overwrite an operator's configuration.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/botstatsd/botstatsd.toml ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/botstatsd/botstatsd.toml"; \
	else \
		install -m 0640 etc/botstatsd/botstatsd.toml $(DESTDIR)$(SYSCONFDIR)/botstatsd/botstatsd.toml; \
	fi

clean:
	rm -rf .build run
