# Tenantry — the README's commands. Every target installs what it needs first
# (idempotently: a tool already present at the right version is not reinstalled).
SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := $(shell grep -A1 '^name = "wasm-bindgen"$$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
export PATH := $(HOME)/.cargo/bin:$(PATH)
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
# CI may point CARGO_TARGET_DIR at a cache outside the clone; without it, ./target.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: help setup setup-build setup-test run demo-bluegreen build test test-rust test-e2e e2e check-wasm-deps check-monitoring fmt-check bench clean

help:
	@echo "make run    — install what is missing, build, migrate and serve http://127.0.0.1:3000 (SQLite)"
	@echo "make test   — install what is missing and run every test (unit, integration on SQLite + PostgreSQL, browser)"
	@echo "make bench  — release build on a temporary database; prints requests/s and latency"
	@echo "make demo-bluegreen — the portal with HAProxy in front of two local backends, for a live blue-green switch"

# ---------------------------------------------------------------- set-up
setup: setup-build setup-test

setup-build:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)" || cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@command -v wasm-opt >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq binaryen; }

setup-test: setup-build
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	@# The loopback SMTP server of the email tests links OpenSSL.
	@dpkg -s libssl-dev >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libssl-dev pkg-config; }
	@[ -d end2end/node_modules/playwright-core ] && [ -d end2end/node_modules/@apidevtools/swagger-parser ] || (cd end2end && npm ci --no-audit --no-fund)
	@# The blue-green tests and demo put Debian's HAProxy in front of two backends.
	@[ -x /usr/sbin/haproxy ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq haproxy; }
	@# The licence tests verify signed documents with OpenSSL (an independent implementation).
	@command -v openssl >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq openssl; }
	@# The S3 backup-target test runs against moto's S3-compatible server (PyPI).
	@command -v moto_server >/dev/null || python3 -m pip install --quiet 'moto[server]'
	@# promtool checks the Prometheus alerting rules in docs/monitoring.
	@command -v promtool >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends prometheus; }

# ---------------------------------------------------------------- run
run: setup-build
	cargo leptos build --release
	LEPTOS_SITE_ROOT=target/site $(TARGET_DIR)/release/tenantry serve

# HAProxy (Debian's) in front of two local backends, steady traffic, and the
# portal with a deployment wired to them: start a switch on its page.
demo-bluegreen: setup-build
	@[ -x /usr/sbin/haproxy ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq haproxy; }
	cargo leptos build --release
	LEPTOS_SITE_ROOT=target/site TENANTRY_HAPROXY_SOCKET_DIR=$(CURDIR)/data/demo-bluegreen \
	  TENANTRY_OUTBOUND_ALLOW=127.0.0.1/32 $(TARGET_DIR)/release/tenantry demo-bluegreen

build: setup-build
	cargo leptos build

# ---------------------------------------------------------------- test
test: setup-test fmt-check check-wasm-deps check-monitoring test-rust test-e2e
	@echo "All tests passed."

fmt-check:
	cargo fmt --all -- --check

# The alerting rules shipped for Prometheus must load (series names are
# checked against what /metrics serves by a unit test).
check-monitoring:
	promtool check rules docs/monitoring/tenantry-alerts.yml

# Nothing server-side may reach the browser bundle.
check-wasm-deps:
	@for crate in sea-orm sqlx argon2 lettre tower-sessions axum; do \
	  if [ -n "$$(cargo tree -p frontend --target wasm32-unknown-unknown -e normal -i $$crate 2>/dev/null)" ]; then \
	    echo "ERROR: $$crate is in the wasm bundle's dependency tree"; exit 1; fi; \
	done; echo "wasm bundle dependency check: no server-only crates"

# `make test` runs everything or fails: PostgreSQL and HAProxy are required
# here (plain `cargo test` on a laptop skips those suites, saying SKIPPED).
test-rust:
	@if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
	  echo "PostgreSQL reachable on 127.0.0.1:5432: the integration suite runs on SQLite and PostgreSQL."; \
	else \
	  echo "ERROR: PostgreSQL is not reachable on 127.0.0.1:5432 (user postgres, database test, trust auth)."; \
	  echo "       Start it, or set POSTGRES_TEST_URL; plain 'cargo test' skips the PostgreSQL suite instead."; \
	  exit 1; \
	fi
	cargo test -p app --features ssr
	TENANTRY_REQUIRE_POSTGRES=1 TENANTRY_REQUIRE_HAPROXY=1 TENANTRY_REQUIRE_S3=1 TENANTRY_TEST_POSTGRES_URL=$(POSTGRES_TEST_URL) cargo test -p server

test-e2e e2e: setup-test
	cargo leptos build
	bash end2end/run.sh $(TARGET_DIR)/debug/tenantry

# ---------------------------------------------------------------- bench
bench: setup-build
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }
	cargo leptos build --release
	bash end2end/bench.sh $(TARGET_DIR)/release/tenantry

clean:
	cargo clean
	rm -rf end2end/screenshots end2end/node_modules
