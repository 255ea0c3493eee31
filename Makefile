# smg: `make run` (three mesh routers and two mock workers on loopback) and `make test` do all set-up:
# they find a JDK 21+, and the committed Maven wrapper fetches Maven and every dependency.
SHELL := /bin/bash
.DEFAULT_GOAL := build

JDK := $(shell scripts/find-jdk 2>/dev/null)
ifeq ($(JDK),)
$(error smg needs a JDK 21 or newer: set JAVA_HOME to one or install one under /usr/lib/jvm)
endif
export JAVA_HOME := $(JDK)
export PATH := $(JDK)/bin:$(PATH)

MVN := ./mvnw -B -ntp
SOURCES := pom.xml $(shell find proto mesh router api -name pom.xml -o -path '*/src/main/*' -type f)

.PHONY: build test run run-single bench chaos chaos-smoke clean

build: smg.jar

smg.jar: $(SOURCES)
	$(MVN) -q -DskipTests install
	cp api/target/smg.jar smg.jar
	@echo "built smg.jar ($$(du -h smg.jar | cut -f1)); run it with: scripts/smg --help"

# All unit and integration tests of all modules, then one closing line "N passed, N failed".
# Every module runs even when an earlier one has failures; the summary decides the exit status.
# scripts/ensure-test-tools installs promtool where it can (root with apt-get), else says its tests skip.
test:
	@rm -rf */target/surefire-reports
	@scripts/ensure-test-tools || true
	@set +e; $(MVN) -Dmaven.test.failure.ignore=true install; mvn_status=$$?; \
	scripts/test-summary .; summary_status=$$?; \
	if [ $$mvn_status -ne 0 ]; then echo "maven exited with status $$mvn_status" >&2; exit $$mvn_status; fi; \
	exit $$summary_status

# Three mesh routers and two mock workers on loopback, in the foreground (Ctrl-C stops all).
run: smg.jar
	scripts/cluster.sh run

# One router and two mock workers (no mesh).
run-single: smg.jar
	scripts/run-local.sh

# Every benchmark under scripts/bench/ (about 1.5 hours), then docs/benchmarks.md refreshed.
bench: smg.jar
	scripts/bench/all.sh

# Chaos harness (root, nftables): a 5-node mesh in network namespaces through crashes, stalls,
# partitions, packet loss, a rolling restart and a worker crash, under load; prints a result table.
# CHAOS_FLAGS passes flags (scripts/chaos/chaos.sh --help), e.g. CHAOS_FLAGS="--out chaos.md".
chaos: smg.jar
	SMG_JAR=$(CURDIR)/smg.jar scripts/chaos/chaos.sh $(CHAOS_FLAGS)

# The short version (3 nodes, SIGKILL+restart and one partition, about 2-3 minutes).
chaos-smoke: smg.jar
	SMG_JAR=$(CURDIR)/smg.jar scripts/chaos/chaos.sh --smoke $(CHAOS_FLAGS)

clean:
	$(MVN) -q clean
	rm -f smg.jar
