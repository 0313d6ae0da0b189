#!/usr/bin/env bash
# Everything CI runs: dependencies, then unit, golden and integration tests (the integration
# tests start their own throwaway PostgreSQL cluster with the worker; see it/).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
./mvnw -B -ntp verify "$@"
