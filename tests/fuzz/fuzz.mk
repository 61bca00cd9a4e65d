# tests/fuzz/fuzz.mk - libFuzzer targets (included by the Makefile).
#
#   make fuzz [FUZZ_SECONDS=600]   each target for FUZZ_SECONDS, corpora kept in build/fuzz/
#                                   (make -j2 fuzz: both at once, one core each;
#                                   make fuzz-frames / fuzz-capture: one of them)
#   make fuzz-smoke                 each target for FUZZ_SMOKE_SECONDS (30), after replaying
#                                   tests/regress/ (every crash ever found) through it
#
# The library is analyzer/*.c but main.c, built by clang with the fuzzer's
# coverage instrumentation, AddressSanitizer and UndefinedBehaviorSanitizer
# (any UB aborts).  Needs clang-14 and libclang-rt-14-dev (its libFuzzer).
# A crash leaves its input in build/fuzz/artifacts/: make it a file in
# tests/regress/ (see its README) and fix the bug.

FUZZ_CC            ?= clang-14
FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 30
FUZZ_SAN           := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS        := $(CSTD) $(WARN) -O1 -g $(FUZZ_SAN) $(CPPFLAGS)
FUZZ_TARGETS       := fuzz_frames fuzz_capture
FUZZ_OBJS          := $(patsubst analyzer/%.c,build/fuzz/%.o,$(LIBSRCS))
FUZZ_BINS          := $(patsubst %,build/fuzz/%,$(FUZZ_TARGETS))
# libFuzzer options: inputs up to 64 KiB; a slow input (>10 s) or >1.5 GiB is a finding
FUZZ_OPTS          := -max_len=65536 -timeout=10 -rss_limit_mb=1536 -print_final_stats=1
FUZZ_ENV           := ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
                      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

.PHONY: fuzz fuzz-frames fuzz-capture fuzz-smoke fuzz-build fuzz-seeds fuzz-seeds-smoke

build/fuzz build/fuzz/artifacts:
	mkdir -p $@

build/fuzz/%.o: analyzer/%.c | build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_reports.h $(FUZZ_OBJS) | build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LIBS)

# kept: make would delete them as intermediates of the fuzzer binaries
.SECONDARY: $(FUZZ_OBJS)

fuzz-build: $(FUZZ_BINS)

# Seeds: samples/ and ../shared/corpus/ (when present), small captures as
# they are and bigger ones cut to their first packets; see seeds.py.  The
# smoke run takes every 16th corpus file, so its 30 s go to fuzzing rather
# than to loading 3000 seeds.
fuzz-seeds: | build/fuzz
	python3 tests/fuzz/seeds.py build/fuzz
fuzz-seeds-smoke: | build/fuzz
	python3 tests/fuzz/seeds.py build/fuzz --smoke

# $(call fuzz_run,TARGET,SECONDS,CORPUS,SEEDS): replays the target's
# regression inputs (tests/regress/TARGET-*), then fuzzes for SECONDS,
# adding what it finds to CORPUS.  A crash fails the run with its report.
define fuzz_run
	@mkdir -p $(3) build/fuzz/artifacts
	@set -e; reg=$$(ls tests/regress/$(1)-* 2>/dev/null || true); \
	if [ -n "$$reg" ]; then echo "== fuzz_$(1): replaying $$(echo $$reg | wc -w) regression inputs"; \
	  $(FUZZ_ENV) build/fuzz/fuzz_$(1) $$reg >build/fuzz/replay-$(1).log 2>&1 || \
	  { tail -40 build/fuzz/replay-$(1).log; exit 1; }; fi
	@echo "== fuzz_$(1): fuzzing for $(2) s (log: build/fuzz/$(1).log)"
	@$(FUZZ_ENV) nice -n 10 build/fuzz/fuzz_$(1) $(FUZZ_OPTS) -max_total_time=$(2) \
	  -artifact_prefix=build/fuzz/artifacts/$(1)- $(3) $(4) >build/fuzz/$(1).log 2>&1 || \
	  { grep -v '^#' build/fuzz/$(1).log | tail -60; exit 1; }
	@grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
	  build/fuzz/$(1).log | sed 's/^/   /'
	@echo "   corpus: $$(ls $(3) | wc -l) inputs in $(3)"
endef

# one after the other, or both at once with make -j2
fuzz: fuzz-frames fuzz-capture
fuzz-frames: fuzz-build fuzz-seeds
	$(call fuzz_run,frames,$(FUZZ_SECONDS),build/fuzz/corpus-frames,build/fuzz/seeds-frames)
fuzz-capture: fuzz-build fuzz-seeds
	$(call fuzz_run,capture,$(FUZZ_SECONDS),build/fuzz/corpus-capture,build/fuzz/seeds-capture)

# a fresh corpus each time: the same work on every machine, whatever ran before
fuzz-smoke: fuzz-build fuzz-seeds-smoke
	rm -rf build/fuzz/smoke-frames build/fuzz/smoke-capture
	$(call fuzz_run,frames,$(FUZZ_SMOKE_SECONDS),build/fuzz/smoke-frames,build/fuzz/seeds-smoke-frames)
	$(call fuzz_run,capture,$(FUZZ_SMOKE_SECONDS),build/fuzz/smoke-capture,build/fuzz/seeds-smoke-capture)

-include $(wildcard build/fuzz/*.d)
