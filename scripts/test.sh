#!/usr/bin/env bash
# Everything CI runs: dependencies, then unit, golden and integration tests (the integration
# tests start their own throwaway PostgreSQL cluster with the worker; see it/), then the
# runtime and worker's own end-to-end script (bgworker/test/run.sh, its own cluster too), then
# the benchmark harness in --quick mode (bench/run.sh: checks it works, does not judge speed),
# then the Debian packages (scripts/build-deb.sh: built from the committed tree and checked).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
./mvnw -B -ntp verify "$@"
case " $* " in
    *" -DskipITs "*|*" -DskipITs=true "*) echo "test.sh: -DskipITs: skipping the bgworker/test scripts and bench/run.sh --quick" ;;
    *) BENCH_N="${BENCH_N:-500}" bgworker/test/run.sh
       bgworker/test/no_preload.sh
       bench/run.sh --quick
       scripts/build-deb.sh ;;
esac
