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

# The scenario matrix (issue 13, "how to know it generalizes"): N captures
# of scenarios drawn at random from SEED, run in namespaces (prefix mx-),
# labelled from their own configuration and scored into docs/ACCURACY.md.
#
#   make lab-matrix N=150 SEED=1          record + score (root, ~15 min)
#   make lab-matrix-score                 score the last recording again
N ?= 150
SEED ?= 1
MATRIX_DIR ?= build/lab-matrix

.PHONY: lab-matrix lab-matrix-score
lab-matrix: mtuscope
	rm -rf $(MATRIX_DIR) && mkdir -p $(MATRIX_DIR)
	python3 $(LAB_DIR)/matrix.py gen --seed $(SEED) --n $(N) >$(MATRIX_DIR)/scenarios.tsv
	t0=$$(date +%s); bash $(LAB_DIR)/matrix-run.sh $(MATRIX_DIR)/scenarios.tsv $(MATRIX_DIR) >$(MATRIX_DIR)/run.log 2>&1 || \
		{ tail -20 $(MATRIX_DIR)/run.log; exit 1; }; \
		echo "$$(( $$(date +%s) - t0 )) s" >$(MATRIX_DIR)/record-time
	$(MAKE) --no-print-directory lab-matrix-score N=$(N) SEED=$(SEED)

lab-matrix-score: mtuscope
	python3 $(LAB_DIR)/matrix.py score --mtuscope ./mtuscope --dir $(MATRIX_DIR) --doc docs/ACCURACY.md \
		--n $(N) --seed $(SEED) --record-time "$$(cat $(MATRIX_DIR)/record-time 2>/dev/null || echo unknown)" >/dev/null
	@echo "lab-matrix: docs/ACCURACY.md and $(MATRIX_DIR)/scores.tsv written"
