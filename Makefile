# swiftlet: build, install, test. `make` builds the fully static release binary at bin/swiftlet.
PREFIX ?= /usr/local
# swift with a private TMPDIR, removed afterwards (the toolchain leaks temp dirs; see the script).
SWIFT ?= sh scripts/with-private-tmpdir.sh swift
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# -static-executable links glibc, the Swift runtime, libseccomp, libcap and libyajl statically.
RELEASE_FLAGS := -c release -Xswiftc -static-executable -Xcc -DSWIFTLET_COMMIT='"$(COMMIT)"'
RUNTIME ?= $(CURDIR)/bin/swiftlet
DEMO_BUNDLE ?= /tmp/swiftlet-demo

.PHONY: all build install demo link-order link-order-check test unit-test integration-test conformance conformance-runc conformance-rootless conformance-rootless-runc coverage deps clean bench fuzz robustness rootless security

all: bin/swiftlet

# The link reads scripts/link-order/symbol-order.txt, which SwiftPM does not track: removing the
# linked binary makes every build relink (about 2 s) so a new order always takes effect.
bin/swiftlet: FORCE
	rm -f "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/swiftlet"
	$(SWIFT) build $(RELEASE_FLAGS) --product swiftlet
	mkdir -p bin
	cp "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/swiftlet" bin/swiftlet
	strip bin/swiftlet

# Regenerates the link order from a traced workload of the common commands (as root, about
# 5 s), then relinks with it. link-order-check says whether the committed order has gone stale.
link-order: bin/swiftlet
	python3 scripts/link-order/make-order.py "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/swiftlet"
	$(MAKE) bin/swiftlet

link-order-check: bin/swiftlet
	python3 scripts/link-order/make-order.py --check "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/swiftlet"

FORCE:

install: bin/swiftlet
	install -D -m 0755 bin/swiftlet $(DESTDIR)$(PREFIX)/bin/swiftlet

# Builds the binary and a busybox bundle, then runs a container from it.
demo: bin/swiftlet
	rm -rf $(DEMO_BUNDLE)
	sh scripts/mkbundle.sh $(DEMO_BUNDLE) sh -c 'echo "hello from $$(hostname), pid $$$$"; exit 3' >/dev/null
	cd $(DEMO_BUNDLE) && $(RUNTIME) --root /tmp/swiftlet-demo-state run demo-$$$$; echo "exit code: $$?"

# What the tests need from Debian (the CI machine starts without them).
deps:
	sh scripts/install-deps.sh

test: deps bin/swiftlet unit-test integration-test conformance conformance-runc conformance-rootless coverage rootless engines security security-runc robustness

unit-test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip IntegrationTests

integration-test: bin/swiftlet
	SWIFTLET=$(RUNTIME) $(SWIFT) test --filter IntegrationTests

conformance: bin/swiftlet
	RUNTIME=$(RUNTIME) ONLY=$(ONLY) python3 conformance/run.py

# The control: the same suite against Debian's runc; its documented deviations are TODOs.
conformance-runc:
	RUNTIME=runc ONLY=$(ONLY) python3 conformance/run.py

# The suite again with the runtime run by a throw-away unprivileged user (made and removed by
# the run; about 1 minute); tests that need real root skip with their reason.
conformance-rootless: bin/swiftlet
	RUNTIME=$(RUNTIME) ONLY=$(ONLY) python3 conformance/run.py --rootless

# The rootless pass against Debian's runc 1.1.5 (not in `test`: a comparison, like conformance-runc's notes).
conformance-rootless-runc:
	RUNTIME=runc ONLY=$(ONLY) python3 conformance/run.py --rootless

# swiftlet vs runc vs crun, side by side (root; about 5 minutes, BENCH_ARGS=--quick for about 1).
# A stale link order only costs speed and RSS, so it is reported here, not failed on.
bench: bin/swiftlet
	sh scripts/install-deps.sh crun time
	$(MAKE) -s link-order-check || echo "bench: the link order is stale; numbers below are without its full effect"
	python3 bench/bench.py --swiftlet $(RUNTIME) $(BENCH_ARGS)

# As root: a throw-away unprivileged user runs busybox containers (about 20 s); not in `test`.
rootless: bin/swiftlet
	sh scripts/install-deps.sh && python3 Tests/rootless/run.py --swiftlet $(RUNTIME)

engines: bin/swiftlet
	sh scripts/install-engine-deps.sh && python3 Tests/engines/run.py --swiftlet $(RUNTIME)

coverage:
	python3 conformance/run.py --coverage

# libFuzzer on config.json decoding and validation, bounded (FUZZ_SECONDS, default 120).
FUZZ_SECONDS ?= 120
fuzz:
	sh fuzz/run.sh $(FUZZ_SECONDS)

# Real container-escape attacks, one per known runc CVE class (RUNTIME=runc: what runc 1.1.5 loses).
security: bin/swiftlet
	RUNTIME=$(RUNTIME) ONLY=$(ONLY) python3 conformance/security/run.py

# The same attacks against Debian's runc 1.1.5: the ones that get through are TODO "runc vulnerable".
security-runc:
	RUNTIME=runc ONLY=$(ONLY) python3 conformance/security/run.py

# Fuzzing (beside the rest), SIGKILL at every syscall of create/start/exec/delete, 200
# containers at parallelism 8, id races, damaged state files; leak checks after each. Root.
robustness: bin/swiftlet
	FUZZ_SECONDS=$(FUZZ_SECONDS) python3 Tests/robustness/run.py --runtime $(RUNTIME)

clean:
	rm -rf .build bin
