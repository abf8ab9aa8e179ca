# opdesk: the two commands of the contract, and a few more.
#   make run    install what is missing, build, start Redis and every service (Ctrl-C stops)
#   make test   install what is missing, build, run every test (plain and sanitizer builds,
#               CTEST_JOBS=3 test programs at a time: the harness hands out ports without clashes)
#   make build  build every program into build/bin/
#   make bench  the end-to-end benchmark against a private stack
#   make gen    regenerate code and tables from proto/schema.yaml; make gen-check fails when they differ
#   make config-doc  regenerate the key reference in docs/configuration.md from opd_config_keys.c
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
CTEST_JOBS ?= 3

.PHONY: all deps build config-doc build-san test test-unit test-integration fuzz compose-check run bench clean gen gen-check

all: build

deps:
	@bash deploy/install-deps.sh
	@bash tests/browser/install.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

build-san: deps
	@cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DOPD_SANITIZE=ON >/dev/null
	@cmake --build build-san -j $(JOBS)

test: build build-san
	@echo "== unit and integration tests (plain build)"
	@cd build && ctest --output-on-failure -j $(CTEST_JOBS)
	@echo "== unit and integration tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
	@cd build-san && ctest --output-on-failure -j $(CTEST_JOBS)
	@$(MAKE) --no-print-directory compose-check
	@$(MAKE) --no-print-directory fuzz

fuzz: deps
	@bash fuzz/run.sh $(FUZZ_SECONDS)

compose-check:
	@echo "== docker-compose config"
	@docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"
	@docker-compose -f docker-compose.yml --profile proxy config -q && echo "docker-compose.yml --profile proxy: valid"
	@# Every file the compose file mounts from this tree must exist (a missing
	@# one becomes an empty directory in the container).
	@missing=0; for f in $$(grep -oE '\./deploy/[^:" ]+' docker-compose.yml | sort -u); do \
	    [ -e "$$f" ] || { echo "docker-compose.yml mounts $$f, which does not exist" >&2; missing=1; }; \
	done; [ $$missing = 0 ] && echo "docker-compose.yml: every mounted file exists"

gen:
	@python3 proto/gen.py

# Regenerates into a temporary folder and fails when a committed file differs
# (ctest runs it too, as gen.check, so make test and CI do).
gen-check:
	@python3 proto/gen.py --check

config-doc: build
	@build/tools/opd_config_doc docs/configuration.md && echo "docs/configuration.md: reference regenerated"

run: build
	@bash deploy/run.sh

bench: build
	@OPDESK_BIN=build/bin /usr/bin/python3 bench/anonymise.py 10000 --rounds 3 --batch 50 --pause-ms 0
	@OPDESK_BIN=build/bin /usr/bin/python3 bench/anonymise.py 2000 --latency --rounds 3 --rate 200
	@bash bench/run.sh

clean:
	rm -rf build build-san build-fuzz
