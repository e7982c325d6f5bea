# seatd: the two commands a fresh machine needs are `make demo` and `make test`.
.PHONY: deps build demo test clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build

# Install what is missing, build, start seatd with the demo license and show a client using it.
demo: build
	scripts/demo.sh

# The whole test suite (unit, protocol vectors, storage, and the daemon over TLS).
test: build
	swift test

clean:
	rm -rf .build state
