# livelog: the two commands a newcomer needs are `make run` and `make test`.
# This Makefile only wraps CMake (as neovim's does); the build lives in
# CMakeLists.txt. `make help` lists every target.

BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
BUILD_TSAN ?= build-tsan
BUILD_DEB  ?= build-deb
PREFIX     ?= /usr/local
DESTDIR    ?=
FUZZ_SECONDS ?= 30
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build build-asan build-tsan run run-dropin test test-fast \
        test-asan test-tsan test-valgrind check-style format bench fuzz \
        install deb clean help

all: build

help:
	@echo "make run          install deps, build, start livelog serve (data in var/)"
	@echo "make run-dropin   the same for the Taskcluster drop-in (random token)"
	@echo "make test         install deps, build (plain, ASan/UBSan, TSan, fuzz),"
	@echo "                  run every test and each fuzz target for FUZZ_SECONDS"
	@echo "make test-fast    run the suite in the plain build only"
	@echo "make test-tsan    ThreadSanitizer build: the unit tests and the"
	@echo "                  integration tests of the server's threads"
	@echo "make test-valgrind  the integration tests with the server under"
	@echo "                  valgrind memcheck (part of test-fast)"
	@echo "make check-style  clang-format and banned-function check"
	@echo "make format       rewrite sources with clang-format"
	@echo "make bench        run the benchmarks (figures go to bench/RESULTS.md)"
	@echo "make fuzz         build the libFuzzer targets (clang) and run each for"
	@echo "                  FUZZ_SECONDS (default 30), two at a time"
	@echo "make install      install under PREFIX (default /usr/local), honouring"
	@echo "                  DESTDIR: binary, man pages, units, completion, config"
	@echo "make deb          build the Debian package in $(BUILD_DEB)/ (CPack)"
	@echo "make clean        remove build directories"

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

build-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DLIVELOG_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS) -- --no-print-directory

build-tsan: deps
	@cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIVELOG_TSAN=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_TSAN) -j $(JOBS) -- --no-print-directory

run: build
	@scripts/run-serve $(BUILD)/livelog

run-dropin: build
	@scripts/run-dropin $(BUILD)/livelog

test-fast: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	@cd $(BUILD_ASAN) && LIVELOG_SANITIZED=1 ctest --output-on-failure -j $(JOBS)

# The threaded paths under ThreadSanitizer (docs/TESTING.md, "Sanitizers
# and valgrind"): every unit test and the integration tests whose server
# runs readers, writers and waiters on several threads. A report goes to
# the server's stderr, which is its log, so check-server-log fails the
# test; TSan's exit code 66 fails hs_stop_and_check.
TSAN_TESTS ?= ^(unit_|integration\.(roundtrip|range|wait|fanout|throttled|disconnect|sigterm|interrupted|tls|serve_(range|exactly_once|recovery|limits|clients|scale|private|mask|faults|crashloop))$$)
test-tsan: build-tsan
	@cd $(BUILD_TSAN) && LIVELOG_SANITIZED=1 ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

test-valgrind: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L valgrind

# Everything, as CI runs it (docs/TESTING.md): style, the suite in the
# plain build (valgrind runs included), in ASan/UBSan, the threaded paths
# in TSan, then every libFuzzer target for FUZZ_SECONDS (30) from its
# committed corpus.
test: check-style test-fast test-asan test-tsan fuzz

check-style: deps
	@scripts/check-style

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

# libFuzzer targets: clang, ASan + UBSan, in their own build directory;
# fuzz/run runs each (docs/TESTING.md, "Fuzzing").
fuzz: deps
	@CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIVELOG_SANITIZE=ON -DLIVELOG_FUZZ=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_all -- --no-print-directory
	@fuzz/run $(BUILD_FUZZ) $(FUZZ_SECONDS)

bench: build
	@bench/run-all $(BUILD)

# docs/OPERATIONS.md, "Installing": CMake's install rules
# (packaging/CMakeLists.txt) for PREFIX under DESTDIR.
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# The Debian package: CPack's DEB generator in its own build directory
# (tests off), written to $(BUILD_DEB)/livelog_VERSION_ARCH.deb.
deb: deps
	@cmake -S . -B $(BUILD_DEB) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIVELOG_TESTS=OFF $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_DEB) -j $(JOBS) -- --no-print-directory
	@cd $(BUILD_DEB) && cpack -G DEB

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) $(BUILD_FUZZ) $(BUILD_DEB)
