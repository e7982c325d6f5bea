# seatd: the two commands a fresh machine needs are `make demo` and `make test`.
.PHONY: deps deps-build build demo test test-c test-browser soak install install-lib uninstall check-systemd release deb deb-test clean

# What building and running seatd needs (liblmdb-dev, pkg-config, openssl).
deps-build:
	@scripts/install-deps.sh build

# Also what the tests need: PostgreSQL, chromium and its driver, gcc, lmdb-utils, systemd.
deps:
	@scripts/install-deps.sh

build: deps-build
	swift build

# Install what is missing, build, start seatd with the demo license and show a client using it.
demo: build
	scripts/demo.sh

# The whole test suite (unit, protocol vectors, storage, and the daemon over TLS), then
# the C tests and the dashboard in a real browser. A crash of the test process prints its
# backtrace (CI has no terminal to ask).
test: deps build
	SWIFT_BACKTRACE=enable=yes,interactive=no swift test
	$(MAKE) test-c
	$(MAKE) test-browser

# `make test` RUNS times (default 10) with one core kept busy; fails if any run failed.
soak: deps build
	scripts/soak-tests.sh $(or $(RUNS),10)

# libseatclient (debug) installed into a scratch prefix, the C tests compiled with the
# system C compiler against it (seat.h, pkg-config seatclient) and run against seatd.
test-c: deps build
	swift build --product seatclient
	Tests/c/run.sh .build/debug

# The web dashboard in headless Chromium (selenium, chromedriver) against a real seatd.
# Fails, never skips, when the browser or the driver is missing (`make deps` installs them).
test-browser: deps build
	/usr/bin/python3 Tests/browser/dashboard_test.py .build/debug

# The self-contained release build, then binaries, systemd unit, default configuration and
# the seatd user (PREFIX=/usr/local and DESTDIR are honoured). See docs/operations.md.
install: release
	scripts/install.sh .build-release/dist

# seat.h, libseatclient.so.1 (+ .a) and seatclient.pc from the release build
# (PREFIX, LIBDIR, INCLUDEDIR and DESTDIR are honoured).
install-lib: release
	scripts/install-lib.sh .build-release/dist

# Self-contained, stripped seatd, seatctl, seatload and libseatclient in
# .build-release/dist (Swift runtime linked in; checked with ldd).
release: deps
	scripts/build-release.sh

# The Debian packages, in .build-release/deb (dpkg-buildpackage, lintian).
deb:
	@scripts/install-deps.sh deb
	scripts/build-deb.sh

# Installs the packages into a fresh Debian chroot without Swift and runs the demo,
# the C example, an upgrade, remove and purge there.
deb-test: deb
	scripts/test-deb-chroot.sh .build-release/deb

# Keeps /etc/seatd and /var/lib/seatd unless PURGE=1.
uninstall:
	scripts/uninstall.sh

# systemd-analyze verify + security exposure of systemd/seatd.service (also part of `make test`).
check-systemd: deps build
	scripts/check-systemd.sh

clean:
	rm -rf .build .build-release state
