# cbench - see README.md.  make | make test | make bench | make plot | make sanitize | make clean
CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -pthread
LDLIBS  += -lev -lhttp_parser -luring -lm -pthread
# Bind every symbol at start-up: with lazy binding every fork child resolves
# again (and page-faults on) each libc function it calls first - about 10 of
# the ~40 page faults a fork worker took (perf stat on `cbench run fork
# spawn`), in the model and in spawn's bare loop alike.
LDFLAGS += -Wl,-z,now

SRC       := $(wildcard bench/*.c models/*.c workloads/*.c)
LIB_SRC   := $(filter-out bench/main.c,$(SRC))
UNIT_SRC  := $(wildcard tests/unit_*.c)

# One object tree per flavour: normal, ASan+UBSan, TSan.
objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

.PHONY: all deps test unit cli sanitize bench plot readme compare clean
all: build/cbench

# Installs missing Debian packages (or says how); order-only, so it never
# forces a rebuild.
deps:
	@sh scripts/deps.sh

build/cbench: $(call objs,build,$(SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/unit_tests: $(call objs,build,$(UNIT_SRC) $(LIB_SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

build/obj/%.o: %.c $(wildcard */*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

test: build/cbench build/unit_tests
	build/unit_tests
	python3 -m unittest discover -s tests -p 'test_*.py'
	bash tests/cli.sh

# Sanitizers: ASan+UBSan over the whole suite, TSan over the threaded models.
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer
build-asan/obj/%.o: %.c $(wildcard */*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -fsanitize=address,undefined -fno-sanitize-recover=undefined -c -o $@ $<
build-asan/cbench: $(call objs,build-asan,$(SRC))
	$(CC) $(CFLAGS) -fsanitize=address,undefined -o $@ $^ $(LDLIBS)
build-tsan/obj/%.o: %.c $(wildcard */*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -fsanitize=thread -c -o $@ $<
build-tsan/cbench: $(call objs,build-tsan,$(SRC))
	$(CC) $(CFLAGS) -fsanitize=thread -o $@ $^ $(LDLIBS)

sanitize: build-asan/cbench build-tsan/cbench
	CBENCH=build-asan/cbench ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 bash tests/cli.sh
	CBENCH=build-tsan/cbench TSAN_OPTIONS=halt_on_error=1 bash tests/cli.sh tests/cli_tsan.sh

bench: build/cbench
	bash scripts/bench.sh

# make plot [RESULTS=dir]: charts and REPORT.md again from the folder's raw data.
# make readme [RESULTS=dir]: the README's results section from that folder.
# make compare OLD=dir NEW=dir: what changed beyond noise, winners, verdicts.
RESULTS ?= $(lastword $(sort $(wildcard results/2*)))
plot:
	python3 scripts/analyze.py report $(RESULTS)
readme:
	python3 scripts/analyze.py readme $(RESULTS) README.md
compare:
	@test -n "$(OLD)" -a -n "$(NEW)" || { echo "usage: make compare OLD=results/A NEW=results/B" >&2; exit 2; }
	python3 scripts/analyze.py compare $(OLD) $(NEW)

clean:
	rm -rf build build-asan build-tsan
