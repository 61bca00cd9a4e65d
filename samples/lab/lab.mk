# samples/lab/lab.mk - included by the top Makefile.
#
#   make samples-lab                      record every lab scenario (root, ~6 min)
#   make samples-lab LAB_ONLY=incident    only the scenarios matching a regex
#
# Builds network namespaces (client, router, server) joined by veth pairs,
# reproduces path-MTU failures with real kernels and wireguard-go, and writes
# samples/lab-*.pcap and samples/lab/manifest-lab.tsv.  See samples/lab/README.md.

LAB_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

.PHONY: samples-lab
samples-lab:
	LAB_ONLY='$(LAB_ONLY)' bash $(LAB_DIR)/run-lab.sh
