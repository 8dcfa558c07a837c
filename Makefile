# cdranon build.  `make` builds ./cdranon; `make test` runs the unit tests;
# `make check` runs every test the project has; `make bench` the benchmarks.

CC      ?= cc
PREFIX  ?= /usr/local
PKGS    := rdkafka libssl libcrypto libxxhash yaml-0.1 libmicrohttpd jansson gdlib \
           libacl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libgd is not linked: src/risk_plot.c loads it when a plot is drawn
# (linked, its dependencies cost every start ~16 ms of CPU).  Only the
# test that reads a plot back links it.
PKG_LIBS   := $(shell pkg-config --libs $(filter-out gdlib,$(PKGS)) 2>/dev/null)
GD_LIBS    := $(shell pkg-config --libs gdlib 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE -Iinclude $(WARN) $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LDLIBS  := $(PKG_LIBS) -lpthread -lm

BUILD   ?= build
SRC     := $(wildcard src/*.c)
LIBSRC  := $(filter-out src/main.c,$(SRC))
LIBOBJ  := $(LIBSRC:src/%.c=$(BUILD)/obj/%.o)
LIB     := $(BUILD)/libcdranon.a
BIN     := cdranon

TESTSRC := $(wildcard tests/test_*.c)
TESTBIN := $(TESTSRC:tests/%.c=$(BUILD)/tests/%)

BENCHSRC := $(wildcard bench/bench_*.c)
BENCHBIN := $(BENCHSRC:bench/%.c=$(BUILD)/bench/%)
# Broker benchmark tools: the two-copy passthrough and the measuring client.
BENCHTOOLS := $(BUILD)/bench/passthrough $(BUILD)/bench/kbench

.PHONY: all test check e2e integration failover bench bench-peers-check format format-check clean \
        install clang-build layering setup-check \
        fuzz fuzz-check fuzz-build sanitize valgrind
all: $(BIN)

$(BUILD)/obj/%.o: src/%.c $(wildcard include/cdranon/*.h) src/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIBOBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/obj/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(LIB) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(filter %.o,$^) $(LIB) $(LDLIBS) \
		-lcriterion

# The deterministic encapsulation of the known-answer tests: linked into
# the tests that need it, never into the library or the binary.
KAT_OBJ := $(BUILD)/tests/seal_kat.o
$(KAT_OBJ): tests/seal_kat.c tests/seal_kat.h $(wildcard include/cdranon/*.h) src/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -c -o $@ $<
$(BUILD)/tests/test_hpke $(BUILD)/tests/test_seal: $(KAT_OBJ)
$(BUILD)/tests/test_risk: LDLIBS += $(GD_LIBS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(LIB) $(LDLIBS)

# Unit tests: one Criterion binary per module, run from the top folder so
# that tests/data paths resolve.
test: $(TESTBIN) $(BIN)
	@set -e; for t in $(TESTBIN); do echo "== $$t"; $$t --jobs 2; done

# File-mode end-to-end tests: the built binary over the sample files.
e2e: $(BIN)
	@set -e; for t in tests/e2e/test_*.sh; do echo "== $$t"; bash $$t ./$(BIN); done

# Integration tests on a real Kafka broker: tests/integration/run.sh
# starts deploy/kafka's broker (trap: stopped whatever happens), runs each
# tests/integration/test_*.sh under its own time limit, stops the broker.
INTEGRATION_BIN := $(BUILD)/tests/integration/eos_check

$(BUILD)/tests/integration/%: tests/integration/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(LIB) $(LDLIBS)

integration: $(BIN) $(INTEGRATION_BIN)
	@bash tests/integration/run.sh ./$(BIN) $(INTEGRATION_BIN)

# Failover tests on a three-node cluster (kafka-local.sh cluster), each
# node in a network namespace of its own: tests/integration/failover_*.sh,
# through run.sh --cluster.  Needs root (ip netns).
failover: $(BIN) $(INTEGRATION_BIN)
	@bash tests/integration/run.sh --cluster ./$(BIN) $(INTEGRATION_BIN)

# The whole tree, tests included, must also build warning-free with clang.
clang-build:
	$(MAKE) --no-print-directory CC=clang BUILD=build/clang \
		build/clang/libcdranon.a build/clang/obj/main.o \
		$(TESTSRC:tests/%.c=build/clang/tests/%) \
		build/clang/tests/integration/eos_check \
		$(BENCHSRC:bench/%.c=build/clang/bench/%) \
		build/clang/bench/passthrough build/clang/bench/kbench

# No include or call circle among the modules of src/ (scripts/layering.py
# reads the #include lines and, with nm, the objects' symbols).
layering: $(LIBOBJ) $(BUILD)/obj/main.o
	@python3 scripts/layering.py $(BUILD)/obj

# What the set-up promises a fresh Debian 12 machine: every command and
# Python module that the scripts, this Makefile and the tests use comes
# from a package in scripts/setup.sh's PACKAGES or from the base system
# (scripts/check-commands.py), and the tests' Python venv builds.
setup-check:
	@bash scripts/pyenv.sh >/dev/null
	@python3 scripts/check-commands.py

# Every test the project has, with one closing line of totals.
check: $(BIN)
	@bash tests/check.sh

bench: $(BIN) $(BENCHBIN) $(BENCHTOOLS)
	bash bench/run.sh

# The benchmark peers (Python, Kafka Streams) against cdranon on one
# corpus: same pseudonyms, same records, sealed copies that open.  Fetches
# the peers' dependencies from PyPI and Maven Central on first use.
bench-peers-check: $(BIN)
	bash bench/peers/check.sh

# Fuzzing (docs/reliability.md): libFuzzer targets under tests/fuzz/, built
# with clang and AddressSanitizer + UndefinedBehaviorSanitizer, linked with
# the library compiled with the same flags into build/fuzz/.  `make fuzz`
# runs each target for FUZZ_SECONDS, `make fuzz-check` (part of `make
# check`) for FUZZ_CHECK_SECONDS; new inputs go to build/fuzz/corpus/,
# the seed corpora under tests/fuzz/corpus/ are only read.
FUZZ_CC       ?= clang
FUZZ_BUILD    := build/fuzz
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                 -fno-omit-frame-pointer
FUZZ_CFLAGS    = -std=c17 -D_GNU_SOURCE -Iinclude $(WARN) $(PKG_CFLAGS) -O1 -g \
                 $(FUZZ_SAN)
FUZZ_LIBOBJ   := $(LIBSRC:src/%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SRC      := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN      := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_SECONDS  ?= 60
FUZZ_CHECK_SECONDS ?= 30

$(FUZZ_BUILD)/obj/%.o: src/%.c $(wildcard include/cdranon/*.h) src/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libcdranon.a: $(FUZZ_LIBOBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) \
                      $(FUZZ_BUILD)/libcdranon.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isrc -o $@ $< \
		$(FUZZ_BUILD)/libcdranon.a $(LDLIBS)

$(FUZZ_BUILD)/seal_kat.o: tests/seal_kat.c tests/seal_kat.h \
                          $(wildcard include/cdranon/*.h) src/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Isrc -c -o $@ $<

$(FUZZ_BUILD)/seed_unseal: tests/fuzz/seed_unseal.c $(wildcard tests/fuzz/*.h) \
                           $(FUZZ_BUILD)/seal_kat.o $(FUZZ_BUILD)/libcdranon.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Isrc -o $@ $< $(FUZZ_BUILD)/seal_kat.o \
		$(FUZZ_BUILD)/libcdranon.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN) $(FUZZ_BUILD)/seed_unseal

fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-check: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_CHECK_SECONDS)

# The unit tests, the binary and the file-mode end-to-end tests again,
# built with AddressSanitizer + UndefinedBehaviorSanitizer into build/asan
# and run by tests/sanitize.sh, which fails on any sanitizer report
# (leaks included).  The tests see the same CC, BUILD and EXTRA_CFLAGS,
# so that a `make` they run (make install) keeps the sanitized binary.
# clang, as gcc 12 gives false -Warray-bounds errors under
# -fsanitize=address; `make valgrind` checks the gcc build.
SAN_CC    ?= clang
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
sanitize:
	@rm -f build/asan/cdranon
	@$(MAKE) --no-print-directory CC=$(SAN_CC) BUILD=build/asan \
		BIN=build/asan/cdranon EXTRA_CFLAGS="$(SAN_FLAGS)" \
		build/asan/cdranon $(TESTSRC:tests/%.c=build/asan/tests/%)
	@CC=$(SAN_CC) BUILD=build/asan EXTRA_CFLAGS="$(SAN_FLAGS)" \
		bash tests/sanitize.sh build/asan

# valgrind memcheck over file-mode runs of the normal build: no error, no
# definite or indirect leak.
valgrind: $(BIN)
	@bash tests/valgrind.sh ./$(BIN)

FORMAT_FILES = $(wildcard src/*.c src/*.h include/cdranon/*.h tests/*.c tests/*.h \
                 tests/fuzz/*.c tests/fuzz/*.h tests/integration/*.c bench/*.c)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format: clean"

# The binary and its manual page, under $(DESTDIR)$(PREFIX) (packagers set
# DESTDIR to a staging folder and PREFIX to /usr).
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/cdranon
	install -m 0644 man/cdranon.1 $(DESTDIR)$(PREFIX)/share/man/man1/cdranon.1

clean:
	rm -rf $(BUILD) $(BIN)
