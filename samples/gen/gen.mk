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
