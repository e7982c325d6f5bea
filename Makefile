# seatd: the two commands a fresh machine needs are `make demo` and `make test`.
.PHONY: deps build demo test soak install uninstall check-systemd clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build

# Install what is missing, build, start seatd with the demo license and show a client using it.
demo: build
	scripts/demo.sh

# The whole test suite (unit, protocol vectors, storage, and the daemon over TLS).
# A crash of the test process prints its backtrace (CI has no terminal to ask).
test: build
	SWIFT_BACKTRACE=enable=yes,interactive=no swift test

# `make test` RUNS times (default 10) with one core kept busy; fails if any run failed.
soak: build
	scripts/soak-tests.sh $(or $(RUNS),10)

# Release build, then binaries, systemd unit, default configuration and the seatd user
# (PREFIX=/usr/local and DESTDIR are honoured). See docs/operations.md.
install: deps
	swift build -c release
	scripts/install.sh .build/release

# Keeps /etc/seatd and /var/lib/seatd unless PURGE=1.
uninstall:
	scripts/uninstall.sh

# systemd-analyze verify + security exposure of systemd/seatd.service (also part of `make test`).
check-systemd: build
	scripts/check-systemd.sh

clean:
	rm -rf .build state
