# mtuscope - see README.md.  The two commands: `make demo` and `make test`.

PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

CC      ?= cc
PKGS    := libpcap
CSTD    := -std=c11 -D_DEFAULT_SOURCE -DMTUSCOPE_VERSION='"$(VERSION)"' \
           -DMTUSCOPE_PLOTDIR='"$(PREFIX)/share/mtuscope/plots"'
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS += -Iinclude
# The release build: -O3 and link-time optimisation let the per-packet path
# (decode, dedup, stats, flow, tcp: one small function per concern, in one
# file each) be inlined across files as if it were written as one loop.
# Callgrind on the bench slices: 5.0% (bulk TCP) and 5.2% (short
# connections) fewer instructions than -O2 alone.  Tests build separately
# (-O1 under the sanitizers).
OPT     ?= -O3 -g -flto=auto
LIBS    := $$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap) -ldumbnet -lz -pthread

SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Debian packages each target needs (installed by scripts/install-deps).
BUILD_DEPS := gcc make pkg-config libpcap-dev libdumbnet-dev zlib1g-dev
TEST_DEPS  := $(BUILD_DEPS) libcmocka-dev tshark tcptrace python3 gnuplot-nox chromium \
              fonts-dejavu-core clang-14 libclang-rt-14-dev valgrind time
AGREE_DEPS := $(BUILD_DEPS) tshark tcptrace python3
DEMO_DEPS  := $(BUILD_DEPS) gnuplot-nox fonts-dejavu-core

SRCS    := $(wildcard analyzer/*.c)
LIBSRCS := $(filter-out analyzer/main.c,$(SRCS))
TESTS   := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))

REL_OBJS  := $(patsubst analyzer/%.c,build/rel/%.o,$(SRCS))
TEST_OBJS := $(patsubst analyzer/%.c,build/test/%.o,$(LIBSRCS))
TEST_BINS := $(patsubst %,build/test/%,$(TESTS))

# the incident, captured at both ends on the outer and the tunnel interface
DEMO_TRACES ?= $(foreach v,client-outer client-wg server-outer server-wg,\
                 samples/lab-incident-wg1420-path1434-$(v).pcap)

.PHONY: all demo test unit e2e golden golden-update corpus report-checks lessons agreement robustness deps-build deps-test deps-demo install uninstall clean format

all: mtuscope

mtuscope: $(REL_OBJS)
	$(CC) $(OPT) -o $@ $^ $(LIBS)

build/rel/%.o: analyzer/%.c | build/rel
	$(CC) $(CSTD) $(WARN) $(OPT) $(CPPFLAGS) $$(pkg-config --cflags libpcap 2>/dev/null) -MMD -MP -c -o $@ $<

# The test build: everything under AddressSanitizer and UndefinedBehaviorSanitizer.
build/test/%.o: analyzer/%.c | build/test
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) -MMD -MP -c -o $@ $<

build/test/test_%: tests/test_%.c $(TEST_OBJS) tests/testutil.h | build/test
	$(CC) $(CSTD) $(WARN) -Wno-missing-prototypes -O1 -g $(SAN) $(CPPFLAGS) -Itests -o $@ $< $(TEST_OBJS) $(LIBS) -lcmocka

build/test/mtuscope: build/test/main.o $(TEST_OBJS)
	$(CC) -O1 -g $(SAN) -o $@ $^ $(LIBS)

build/rel build/test:
	mkdir -p $@

deps-build:
	@scripts/install-deps $(BUILD_DEPS)
deps-test:
	@scripts/install-deps $(TEST_DEPS)
deps-demo:
	@scripts/install-deps $(DEMO_DEPS)

demo: deps-demo
	$(MAKE) all
	./mtuscope -o out $(foreach f,$(DEMO_TRACES),-r $(f))
	@echo "mtuscope: above, the short report; out/ holds the whole one (report.txt, as --full prints it), report.json, report.html and the charts"

test: deps-test
	$(MAKE) unit e2e golden agreement samples-gen-check report-checks lessons robustness fuzz-smoke corpus

unit: $(TEST_BINS)
	@set -e; for t in $(TEST_BINS); do echo "== $$t"; $$t; done

e2e: mtuscope build/test/mtuscope
	python3 tests/e2e.py build/test/mtuscope

# the text and JSON reports of every sample and pair, frozen (tests/golden/);
# make golden-update rewrites them when a change of the reports is meant
golden: mtuscope
	python3 tests/golden.py ./mtuscope
golden-update: mtuscope
	python3 tests/golden.py ./mtuscope --update

# broken files, limits, floods, valgrind (tests/robustness.py)
robustness: mtuscope build/test/mtuscope
	python3 tests/robustness.py build/test/mtuscope ./mtuscope

report-checks: build/test/mtuscope
	python3 tests/report_checks.py build/test/mtuscope

# every lesson in samples/lessons/: its excerpts of mtuscope's output still true
lessons: mtuscope
	python3 tests/lessons.py ./mtuscope

# Retransmission counts per flow against tcptrace and tshark (issue 4), on the
# samples and ../shared/corpus (without it: a SKIP line, the samples alone);
# every difference must be explained by a rule of tests/agreement.py (3324
# flows, 0 unexplained, about 30 s).
agreement:
	@scripts/install-deps $(AGREE_DEPS)
	$(MAKE) mtuscope
	python3 tests/agreement.py ./mtuscope

corpus: build/test/mtuscope
	python3 tests/corpus_sweep.py build/test/mtuscope

# make install / make uninstall (PREFIX, DESTDIR): the binary, the man page,
# the chart templates and the JSON schema; uninstall removes exactly those
# files, and share/mtuscope/ when nothing else is left in it.
PLOT_TEMPLATES := $(notdir $(wildcard plots/*.gp))

install: mtuscope
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 mtuscope $(DESTDIR)$(PREFIX)/bin/mtuscope
	install -m 644 docs/mtuscope.1 $(DESTDIR)$(PREFIX)/share/man/man1/mtuscope.1
	install -d $(DESTDIR)$(PREFIX)/share/mtuscope/plots
	install -m 644 plots/*.gp $(DESTDIR)$(PREFIX)/share/mtuscope/plots/
	install -m 644 docs/report.schema.json $(DESTDIR)$(PREFIX)/share/mtuscope/report.schema.json

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/mtuscope $(DESTDIR)$(PREFIX)/share/man/man1/mtuscope.1
	rm -f $(DESTDIR)$(PREFIX)/share/mtuscope/report.schema.json
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/mtuscope/plots/,$(PLOT_TEMPLATES))
	rmdir $(DESTDIR)$(PREFIX)/share/mtuscope/plots $(DESTDIR)$(PREFIX)/share/mtuscope 2>/dev/null || true

format:
	clang-format -i analyzer/*.c include/*.h tests/*.c tests/*.h

clean:
	rm -rf build mtuscope out

# Sample traces: the synthetic generator and the network-namespace lab.
-include samples/gen/gen.mk
-include samples/lab/lab.mk

# make fuzz FUZZ_SECONDS=N, make fuzz-smoke (in make test): libFuzzer targets
-include tests/fuzz/fuzz.mk

# make bench: large generated captures, mtuscope against the libpcap floor, tcpdump, tcptrace, tshark
-include tests/bench/bench.mk

-include $(wildcard build/rel/*.d build/test/*.d)
