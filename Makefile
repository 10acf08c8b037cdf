# benchvault: the two commands are `make run` and `make test`.
#   make deps   installs missing Debian packages (as root) or prints the line
#   make build  release build in build/
#   make run    build, then serve ./benchvault.db on 127.0.0.1:8080
#   make test   sanitizer build (ASan + UBSan) in build-test/, then ctest
#   make bench  release build, then the benchmarks under bench/
#   make fuzz   clang build with every library instrumented (build-fuzz/),
#               then each libFuzzer target for FUZZ_SECONDS (default 600;
#               FUZZ_TARGETS="ingest http" picks some); prints cov/ft each
#   make tsan   ThreadSanitizer build (build-tsan/), then the end-to-end
#               tests (TSAN_TESTS, a ctest -R regex; default: every e2e
#               test) with tests/tsan.supp; fails on any race report
BUILD      ?= build
TEST_BUILD ?= build-test
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?=
TSAN_BUILD ?= build-tsan
TSAN_TESTS ?= ^e2e[.]
JOBS       ?= $(shell nproc)
LISTEN     ?= 127.0.0.1:8080
DB         ?= ./benchvault.db

DEB_PKGS = build-essential cmake pkg-config git curl ca-certificates \
           libsqlite3-dev sqlite3 libjansson-dev libmicrohttpd-dev \
           libcurl4-openssl-dev libssl-dev libgsl-dev libcairo2-dev \
           libcmocka-dev python3 python3-pytest python3-requests \
           python3-numpy python3-scipy python3-pytest-benchmark \
           libbenchmark-dev g++ hyperfine python3-locust golang-go \
           fonts-dejavu-core libfontconfig-dev zlib1g-dev tidy \
           chromium chromium-driver python3-selenium clang \
           clang-format cppcheck systemd prometheus python3-jsonschema

.PHONY: all deps build run test bench clean format fuzz tsan

all: build

deps:
	@missing=$$(for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done | tr '\n' ' '); \
	if [ -z "$$missing" ]; then \
	    echo "deps: all Debian packages present"; \
	elif [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	    echo "deps: missing Debian packages; run as root:"; \
	    echo "  apt-get install -y $$missing"; exit 1; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/benchvault serve --db $(DB) --listen $(LISTEN) --demo

test: deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DSANITIZE=address,undefined -DWERROR=ON >/dev/null
	cmake --build $(TEST_BUILD) -j$(JOBS)
	cd $(TEST_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j$(JOBS) --timeout 600

bench: build
	cmake --build $(BUILD) -j$(JOBS) --target bench_all
	BUILD=$(BUILD) bench/run.sh

fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_all
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Races are reported into $(TSAN_BUILD)/tsan-reports (log_path): a report
# in a server that a test stops also fails the test (exit status 66, which
# conftest.py checks), and any report file at all fails the target.
tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DSANITIZE=thread >/dev/null
	cmake --build $(TSAN_BUILD) -j$(JOBS) --target benchvault nvml_double \
	    bench_stats
	rm -rf $(TSAN_BUILD)/tsan-reports && mkdir -p $(TSAN_BUILD)/tsan-reports
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 exitcode=66 \
	    suppressions=$(CURDIR)/tests/tsan.supp second_deadlock_stack=1 \
	    log_path=$(CURDIR)/$(TSAN_BUILD)/tsan-reports/report" \
	    ctest -R '$(TSAN_TESTS)' -L e2e --output-on-failure -j$(JOBS) \
	    --timeout 1800; rc=$$?; \
	if ls tsan-reports/report.* >/dev/null 2>&1; then \
	    cat tsan-reports/report.*; \
	    echo "tsan: race reports above (outside tests/tsan.supp)"; exit 1; \
	fi; \
	echo "tsan: no report outside tests/tsan.supp"; exit $$rc

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD)
