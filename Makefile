# Top-level build for the migration-policy platform.
#
# Layout this Makefile relies on (see README.md):
#   lib/src/core/*.c   pure C (no Kore types): built into build/lib/libmpcore.a,
#                      linked by the Kore modules AND by the Check unit suites.
#   lib/src/kore/*.c   the Kore glue: built into build/lib/libmpkore.a (PIC),
#                      linked only into the Kore modules.
#   services/<s>/src/*.c, gateway/src/**/*.c, tests/app/*.c
#                      one Kore module (.so) each, loaded by `kore -c conf`
#                      (the gateway's sources sit in folders by concern:
#                      identity/, edge/, proxy/, openapi/).
#   tests/unit/check_*.c
#                      one Check binary each, linked with libmpcore.a and the
#                      pure sources of the module it names (see PURE_*).
#
# `make SANITIZE=address,undefined test` builds everything with sanitizers.

SHELL        := /bin/bash
SANITIZE     ?=
BUILD        ?= build$(if $(SANITIZE),-san)
CC           ?= cc

KORE_FEATURES := $(shell cat /usr/share/kore/features 2>/dev/null)

# -Wno-missing-field-initializers: a route table entry lists only the
# fields it uses (struct mp_route ends with optional gateway facts).
WARN   := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wpointer-arith -Wcast-qual -Wno-missing-field-initializers -Werror
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -fPIC -fno-omit-frame-pointer $(WARN) \
          -Ilib/include -I/usr/include/postgresql
LIBS   := -ljansson -ljwt -lsodium -lhiredis -lcurl -lpq -lcrypto -lm -lpthread
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm -lpthread)

ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=$(SANITIZE)
endif

CORE_SRC := $(wildcard lib/src/core/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
KGLUE_SRC := $(wildcard lib/src/kore/*.c)
KGLUE_OBJ := $(KGLUE_SRC:%.c=$(BUILD)/%.o)
LIBCORE  := $(BUILD)/lib/libmpcore.a
LIBKORE  := $(BUILD)/lib/libmpkore.a

# Kore modules: name -> source directory.
MODULES := funding cases gender gateway testapp
SRCDIR_funding := services/funding/src
SRCDIR_cases   := services/cases/src
SRCDIR_gender  := services/gender/src
SRCDIR_gateway := gateway/src
SRCDIR_testapp := tests/app
MODULE_SO := $(foreach m,$(MODULES),$(BUILD)/$(m).so)
# A module's sources: its folder and, for the gateway, its subfolders.
module_src = $(wildcard $(SRCDIR_$(1))/*.c $(SRCDIR_$(1))/*/*.c)

# Pure sources (no Kore, no network, no database): linked into the module
# AND into its unit suites (check_<module>_*.c) and fuzz harnesses. The
# services name theirs domain_*.c; the gateway lists its own here.
PURE_funding := $(wildcard services/funding/src/domain_*.c)
PURE_cases   := $(wildcard services/cases/src/domain_*.c)
PURE_gender  := $(wildcard services/gender/src/domain_*.c)
# the GraphQL engine (gateway/src/graphql/, no Kore)
GQL_ENGINE   := arena.c parse.c schema.c builtin.c validate.c personal.c exec.c \
                limits.c
PURE_gateway := $(addprefix gateway/src/,edge/routing.c edge/cache.c \
                  edge/ratelimit.c edge/idem.c edge/wire.c \
                  edge/route_table.c proxy/upstream_conf.c proxy/h1.c \
                  identity/tokens.c openapi/merge.c \
                  $(addprefix graphql/,$(GQL_ENGINE)))
pure_of = $(PURE_$(1))

UNIT_SRC := $(wildcard tests/unit/check_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
INTEG_SRC := $(wildcard tests/integration/check_*.c)
INTEG_BIN := $(INTEG_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
# GraphiQL's static files, served by the gateway (copied from tools/node)
GRAPHIQL := $(BUILD)/graphiql/graphiql.min.js
TOOLS    := $(BUILD)/bin/mp-migrate $(BUILD)/bin/mp-cases-rekey \
            $(BUILD)/tests/graphql/gql_verdicts
# The sanitizer build instruments Kore itself too (scripts/build-kore.sh), so
# the integration suites run the real processes under ASan and UBSan.
ifneq ($(SANITIZE),)
TOOLS    += $(BUILD)/bin/kore
endif

.PHONY: all deps build test unit integration up down logs clean format gender-replay \
        bench bench-funding bench-cases bench-gender bench-gateway bench-latency bench-graphql fuzz check-compose chaos
.DEFAULT_GOAL := build

all build: $(MODULE_SO) $(TOOLS) $(UNIT_BIN) $(INTEG_BIN) $(GRAPHIQL)

deps:
	@scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/services/%.o: CFLAGS += $(KORE_FEATURES)
$(BUILD)/gateway/%.o: CFLAGS += $(KORE_FEATURES) -Igateway/src
$(BUILD)/tests/unit/check_gateway_%.o: CFLAGS += -Igateway/src
$(BUILD)/tests/app/%.o: CFLAGS += $(KORE_FEATURES)
$(BUILD)/lib/src/kore/%.o: CFLAGS += $(KORE_FEATURES)

$(LIBCORE): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBKORE): $(KGLUE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define module_rule
$(BUILD)/$(1).so: $(patsubst %.c,$(BUILD)/%.o,$(call module_src,$(1))) $(LIBKORE) $(LIBCORE)
	$$(CC) -shared $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) \
	    -Wl,--whole-archive $(LIBKORE) -Wl,--no-whole-archive $(LIBCORE) $(LIBS)
endef
$(foreach m,$(MODULES),$(eval $(call module_rule,$(m))))

# A unit suite named check_<service>_<x>.c also links that service's pure sources.
unit_extra = $(foreach m,funding cases gender gateway,$(if $(filter check_$(m)_%,$(1)),$(patsubst %.c,$(BUILD)/%.o,$(call pure_of,$(m)))))

.SECONDEXPANSION:
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $$(call unit_extra,%) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCORE) $(LIBS) $(CHECK_LIBS)

$(BUILD)/tests/integration/%: $(BUILD)/tests/integration/%.o $(BUILD)/tests/integration/support.o $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCORE) $(LIBS) $(CHECK_LIBS)

# the gender suite decodes its rasterised chart with libpng
$(BUILD)/tests/integration/check_gender: LIBS += -lpng

$(BUILD)/tests/integration/support.o: tests/integration/support.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(GRAPHIQL): tools/node/package-lock.json scripts/graphiql-assets.sh
	scripts/graphiql-assets.sh $(dir $@)

# the C engine's verdicts for the differential test against graphql-js
$(BUILD)/tests/graphql/gql_verdicts: $(BUILD)/tests/graphql/gql_verdicts.o \
    $(patsubst %.c,$(BUILD)/%.o,$(addprefix gateway/src/graphql/,$(GQL_ENGINE))) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCORE) $(LIBS)

$(BUILD)/bin/mp-migrate: $(BUILD)/tools/migrate_main.o $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCORE) $(LIBS)

# key rotation of the cases service's encrypted fields (tools/cases_rekey_main.c)
$(BUILD)/bin/mp-cases-rekey: $(BUILD)/tools/cases_rekey_main.o \
    $(BUILD)/services/cases/src/domain_crypto.o $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCORE) $(LIBS)

$(BUILD)/bin/kore: scripts/build-kore.sh
	@scripts/build-kore.sh $(SANITIZE) $(BUILD)/kore
	@mkdir -p $(dir $@) && cp $(BUILD)/kore/kore $@

# ---- tests ---------------------------------------------------------------
test: deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) scripts/test.sh

unit: build
	@scripts/test.sh unit

integration: build
	@scripts/test.sh integration

# ---- local platform --------------------------------------------------------
up: deps
	@$(MAKE) --no-print-directory build
	@scripts/up.sh

down:
	@scripts/down.sh

# rebuild the gender projections by replaying the streams (after make up)
gender-replay:
	@scripts/gender-replay.sh

logs:
	@tail -n 50 -F var/log/*.log

bench: build
	@scripts/bench.sh

# the platform under a write load while each process, Redis and PostgreSQL
# are killed in turn (not part of `make test`; bench/results/chaos.txt)
chaos: build
	@scripts/chaos.sh

# the funding service vs pgbench (not part of `make test`); its own build
# dir, so half-written sources of other modules do not stop it
bench-funding:
	@$(MAKE) --no-print-directory BUILD=build-bench build-bench/funding.so \
	    build-bench/bin/phases
	@BENCH_BUILD=build-bench scripts/bench-funding.sh

# the gender projection: ingestion rate, commit-to-indicator lag at 1,000
# events/s, a query over 1M facts vs psql (bench/results/gender.txt)
bench-gender:
	@$(MAKE) --no-print-directory BUILD=build-bench build-bench/gender.so \
	    build-bench/funding.so
	@BENCH_BUILD=build-bench scripts/bench-gender.sh

# the cases directory's search vs pgbench (not part of `make test`)
bench-cases:
	@$(MAKE) --no-print-directory BUILD=build-bench build-bench/cases.so \
	    build-bench/bin/openloop
	@BENCH_BUILD=build-bench scripts/bench-cases.sh

# the gateway vs nginx and vs funding direct, and token verification cost
# (not part of `make test`; needs nginx); its own build dir too
bench-gateway:
	@$(MAKE) --no-print-directory BUILD=build-bench build-bench/gateway.so \
	    build-bench/funding.so build-bench/lib/libmpcore.a
	@BENCH_BUILD=build-bench scripts/bench-gateway.sh

# latency at a fixed rate (open loop, bench/openloop) for a service GET, a
# gateway GET and a submission, beside pgbench -R and nginx at the same rate
bench-latency:
	@$(MAKE) --no-print-directory BUILD=build-bench build-bench/gateway.so \
	    build-bench/funding.so build-bench/bin/openloop
	@BENCH_BUILD=build-bench scripts/bench-latency.sh

# the gateway's GraphQL façade vs GraphQL Mesh v1 + Hive Gateway over the
# same funding service (not part of `make test`; npm tooling of its own in
# bench/graphql, installed by the script; bench/results/graphql.txt)
bench-graphql:
	@$(MAKE) --no-print-directory BUILD=build-bench build-bench/gateway.so \
	    build-bench/funding.so
	@BENCH_BUILD=build-bench scripts/bench-graphql.sh

$(BUILD)/bin/openloop: bench/openloop/openloop.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/bin/phases: bench/phases/phases.c lib/include/mp/phases.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

fuzz: build
	@scripts/fuzz.sh

# `make -s print-pure-gateway`: a module's pure sources (scripts/fuzz.sh)
print-pure-%:
	@echo $(PURE_$*)

check-compose:
	@scripts/check-compose.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
