# cbench - see README.md.  make | make test | make bench | make plot | make sanitize | make fuzz | make clean
#
# The usual variables are the user's: `make CC=clang`, `make CFLAGS=-O3`,
# `make CPPFLAGS=... LDFLAGS=... LDLIBS=...` replace only what they name.
# What cbench itself needs lives in the CBENCH_* variables, which come first
# on every command line (so a user's flag can still override them).
ifeq ($(origin CC),default)
CC := gcc
endif
CFLAGS  ?= -O2 -g
CBENCH_CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -pthread
CBENCH_LDLIBS  := -lev -lhttp_parser -luring -lm -pthread
# Bind every symbol at start-up: with lazy binding every fork child resolves
# again (and page-faults on) each libc function it calls first - about 10 of
# the ~40 page faults a fork worker took (perf stat on `cbench run fork
# spawn`), in the model and in spawn's bare loop alike.
CBENCH_LDFLAGS := -Wl,-z,now

COMPILE = $(CC) $(CBENCH_CFLAGS) $(CPPFLAGS) $(CFLAGS)
LINK    = $(CC) $(CBENCH_CFLAGS) $(CFLAGS) $(CBENCH_LDFLAGS) $(LDFLAGS)
LIBS    = $(CBENCH_LDLIBS) $(LDLIBS)

SRC       := $(wildcard bench/*.c models/*.c workloads/*.c server/*.c lib/*.c)
LIB_SRC   := $(filter-out bench/main.c,$(SRC))
UNIT_SRC  := $(wildcard tests/unit_*.c)

# One object tree per flavour: normal, ASan+UBSan, TSan.
objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

.PHONY: all deps deps-build test unit cli sanitize bench plot readme compare fuzz clean
all: build/cbench

# Install missing Debian packages (or say exactly which): deps-build only what
# compiling needs, deps also the test and benchmark tools. Order-only
# prerequisites, so they never force a rebuild.
deps-build:
	@sh scripts/deps.sh build "$(CC)"
deps:
	@sh scripts/deps.sh all "$(CC)"

build/cbench: $(call objs,build,$(SRC))
	$(LINK) -o $@ $^ $(LIBS)

build/unit_tests: $(call objs,build,$(UNIT_SRC) $(LIB_SRC))
	$(LINK) -o $@ $^ $(LIBS) -lcmocka

build/obj/%.o: %.c $(wildcard */*.h) | deps-build
	@mkdir -p $(dir $@)
	$(COMPILE) -c -o $@ $<

# The unit tests need cmocka: the full dependency check comes first.
build/obj/tests/%.o: tests/%.c $(wildcard */*.h) | deps
	@mkdir -p $(dir $@)
	$(COMPILE) -c -o $@ $<

# The CLI fuzzer (tests/fuzz_cli.py): a quick pass in `make test`, the full
# run in `make fuzz`. Same seed, same cases.
FUZZ_SEED  ?= 1
FUZZ_CASES ?= 5000
FUZZ_QUICK ?= 300

test: build/cbench build/unit_tests | deps
	build/unit_tests
	python3 -m unittest discover -s tests -p 'test_*.py'
	bash tests/cli.sh
	python3 tests/fuzz_cli.py --cbench build/cbench --seed $(FUZZ_SEED) --cases $(FUZZ_QUICK)

fuzz: build/cbench | deps
	python3 tests/fuzz_cli.py --cbench build/cbench --seed $(FUZZ_SEED) --cases $(FUZZ_CASES)

# Sanitizers: ASan+UBSan over the whole suite, TSan over the threaded models.
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer
build-asan/obj/%.o: %.c $(wildcard */*.h) | deps-build
	@mkdir -p $(dir $@)
	$(COMPILE) $(SAN_FLAGS) -fsanitize=address,undefined -fno-sanitize-recover=undefined -c -o $@ $<
build-asan/cbench: $(call objs,build-asan,$(SRC))
	$(LINK) -fsanitize=address,undefined -o $@ $^ $(LIBS)
build-tsan/obj/%.o: %.c $(wildcard */*.h) | deps-build
	@mkdir -p $(dir $@)
	$(COMPILE) $(SAN_FLAGS) -fsanitize=thread -c -o $@ $<
build-tsan/cbench: $(call objs,build-tsan,$(SRC))
	$(LINK) -fsanitize=thread -o $@ $^ $(LIBS)

sanitize: build-asan/cbench build-tsan/cbench | deps
	CBENCH=build-asan/cbench ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 bash tests/cli.sh
	CBENCH=build-tsan/cbench TSAN_OPTIONS=halt_on_error=1 bash tests/cli.sh tests/cli_tsan.sh

bench: build/cbench | deps
	bash scripts/bench.sh

# make plot [RESULTS=dir]: charts and REPORT.md again from the folder's raw data.
# make readme [RESULTS=dir]: the README's results section from that folder.
# make compare OLD=dir NEW=dir: what changed beyond noise, winners, verdicts.
# The newest folder: the last in version order (bench.sh numbers -2, -3, ...
# upward, so -10 comes after -9).
RESULTS ?= $(shell ls -d results/2*/ 2>/dev/null | sort -V | tail -n 1 | sed 's:/$$::')
plot:
	python3 scripts/analyze.py report $(RESULTS)
readme:
	python3 scripts/analyze.py readme $(RESULTS) README.md
compare:
	@test -n "$(OLD)" -a -n "$(NEW)" || { echo "usage: make compare OLD=results/A NEW=results/B" >&2; exit 2; }
	python3 scripts/analyze.py compare $(OLD) $(NEW)

clean:
	rm -rf build build-asan build-tsan
