# benchvault: the two commands are `make run` and `make test`.
#   make deps   installs missing Debian packages (as root) or prints the line
#   make build  release build in build/
#   make run    build, then serve ./benchvault.db on 127.0.0.1:8080
#   make test   sanitizer build (ASan + UBSan) in build-test/, then ctest
#   make bench  release build, then the benchmarks under bench/
BUILD      ?= build
TEST_BUILD ?= build-test
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
           chromium chromium-driver python3-selenium

.PHONY: all deps build run test bench clean format

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

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
