# cdranon build.  `make` builds ./cdranon; `make test` runs the unit tests;
# `make check` runs every test the project has; `make bench` the benchmarks.

CC      ?= cc
PREFIX  ?= /usr/local
PKGS    := rdkafka libssl libcrypto libxxhash yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

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

.PHONY: all test check e2e bench format format-check clean install clang-build
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
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(LIB) $(LDLIBS) -lcriterion

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

# The whole tree, tests included, must also build warning-free with clang.
clang-build:
	$(MAKE) --no-print-directory CC=clang BUILD=build/clang \
		build/clang/libcdranon.a build/clang/obj/main.o \
		$(TESTSRC:tests/%.c=build/clang/tests/%) \
		$(BENCHSRC:bench/%.c=build/clang/bench/%)

# Every test the project has, with one closing line of totals.
check: $(BIN)
	@bash tests/check.sh

bench: $(BIN) $(BENCHBIN)
	bash bench/run.sh

FORMAT_FILES = $(wildcard src/*.c src/*.h include/cdranon/*.h tests/*.c tests/*.h bench/*.c)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format: clean"

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/$(BIN)

clean:
	rm -rf $(BUILD) $(BIN)
