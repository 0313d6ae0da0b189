#!/usr/bin/env bash
# The quickstart, end to end: dependencies, a local PostgreSQL with the worker and runtime,
# deploy examples/quickstart.dfsql, run it and print its status and result.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== ./dfc dev start"
url="$(./dfc dev start | tail -n 1)"
echo "dev cluster: $url"

echo "== ./dfc deploy examples/quickstart.dfsql --db $url"
./dfc deploy examples/quickstart.dfsql --db "$url"

echo "== ./dfc start quickstart --db $url --wait"
./dfc start quickstart --db "$url" --wait

echo
echo "Try it yourself: ./dfc dev psql   (then SELECT * FROM df.instances;)"
echo "Stop the cluster: ./dfc dev stop"
