#!/usr/bin/env bash
# Installs what building and testing dfc needs on Debian 12, skipping apt entirely when
# everything is already there: a JDK 17, PostgreSQL 15 with its server headers and
# plpgsql_check, make, gcc and libcurl's headers (HTTP steps), debhelper (scripts/build-deb.sh). Uses sudo when not run as root.
set -euo pipefail

packages=(openjdk-17-jdk-headless postgresql-15 postgresql-server-dev-15 postgresql-15-plpgsql-check make gcc libcurl4-openssl-dev debhelper dpkg-dev)

installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

has_jdk17() {
    command -v javac >/dev/null 2>&1 || return 1
    local v
    v="$(javac -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p')"
    [[ -n "$v" && "$v" -ge 17 ]]
}

missing=()
for p in "${packages[@]}"; do
    if [[ "$p" == openjdk-17-jdk-headless ]] && has_jdk17; then continue; fi
    installed "$p" || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: everything is installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${missing[*]}, and this is not a Debian system (no apt-get); install them by hand" >&2
    exit 1
fi

sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
        exit 1
    fi
    sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
