# tests/bench/bench.mk - `make bench` (issue 7); included by the top Makefile.
#
#   make bench              generate the captures under build/bench/ (once) and
#                           print the table (RUNS=3 runs each, the median)
#   make bench BENCH_ARGS=--quick   small captures, one run: checks the driver
#
# Needs the release build (`mtuscope`), and times tcpdump, tcptrace and tshark
# on the same files, installing them first (scripts/install-deps, as root).

BENCH_DEPS := $(BUILD_DEPS) tcpdump tcptrace tshark time python3
BENCH_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -O2 -g
RUNS ?= 3
BENCH_ARGS ?=

.PHONY: bench deps-bench

build/bench:
	mkdir -p $@

build/bench/bench-gen: tests/bench/bench-gen.c | build/bench
	$(CC) $(BENCH_CFLAGS) $$(pkg-config --cflags libpcap 2>/dev/null) -o $@ $< \
		$$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap) -ldumbnet

build/bench/bench-floor: tests/bench/bench-floor.c | build/bench
	$(CC) $(BENCH_CFLAGS) $$(pkg-config --cflags libpcap 2>/dev/null) -o $@ $< \
		$$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap)

deps-bench:
	@scripts/install-deps $(BENCH_DEPS)

bench: deps-bench
	$(MAKE) mtuscope
	$(MAKE) -f tests/bench/bench.mk build/bench/bench-gen build/bench/bench-floor
	python3 tests/bench/bench.py --runs $(RUNS) $(BENCH_ARGS)
