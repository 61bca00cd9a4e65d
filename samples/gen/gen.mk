# samples/gen/gen.mk - the synthetic capture generator; included by the top Makefile.
#
#   make build/gen/mtuscope-gen   build it
#   make samples-gen              build it and regenerate samples/gen-*.pcap*
#
# It is a separate little program (libpcap + libdnet), not part of mtuscope.

GEN_SRCS := $(wildcard samples/gen/*.c)
GEN_HDRS := $(wildcard samples/gen/*.h)
GEN_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -O2 -g

.PHONY: samples-gen

build/gen/mtuscope-gen: $(GEN_SRCS) $(GEN_HDRS) samples/gen/gen.mk | build/gen
	$(CC) $(GEN_CFLAGS) $$(pkg-config --cflags libpcap 2>/dev/null) -o $@ $(GEN_SRCS) \
		$$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap) -ldumbnet

build/gen:
	mkdir -p $@

samples-gen: build/gen/mtuscope-gen
	build/gen/mtuscope-gen samples

# The committed synthetic traces must be what the generator writes, byte for
# byte (it is deterministic: fixed timestamps and seeds).  Run by `make test`.
.PHONY: samples-gen-check
samples-gen-check: build/gen/mtuscope-gen
	rm -rf build/gen/out && mkdir -p build/gen/out
	build/gen/mtuscope-gen build/gen/out >/dev/null
	@set -e; n=0; \
	for f in build/gen/out/*; do cmp "$$f" "samples/$${f##*/}"; n=$$((n + 1)); done; \
	m=$$(ls samples/gen-*.pcap* | wc -l); \
	if [ "$$n" -ne "$$m" ]; then echo "samples-gen-check: generator wrote $$n traces, samples/ has $$m"; exit 1; fi; \
	echo "samples-gen-check: all $$n synthetic traces identical to samples/"
