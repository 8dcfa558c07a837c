#!/usr/bin/env bash
# cdranon set-up on a fresh Debian 12 machine, in one command.
#
#   scripts/setup.sh demo    install what is missing, build, run the demos
#                            (file mode, then a local Kafka broker)
#   scripts/setup.sh check   install what is missing, build, run every test
#   scripts/setup.sh deps    install what is missing, nothing else
#
# Idempotent: packages already installed are not touched.  Installing
# needs root (or password-less sudo); without it the script names the
# packages to install and stops.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

# Build and test dependencies, all from Debian 12's own archive, installed
# without their Recommends: every package a build or test step needs is
# named here, not left to what happens to be installed.  Anything else the
# scripts run comes from the base of a fresh system (priority required,
# or git); scripts/check-commands.py (make setup-check) checks that.
PACKAGES=(
        build-essential pkg-config make gcc clang clang-format
        # clang's sanitizer and libFuzzer runtimes (make fuzz-check,
        # make sanitize): only Recommended by clang-14
        libclang-rt-14-dev
        librdkafka-dev libssl-dev openssl libxxhash-dev libyaml-dev
        libmicrohttpd-dev
        # jansson: the cold-path JSON readers (librdkafka statistics,
        # dead-letter lists) and cdranon risk's new field names; libacl:
        # key-file ACLs; libgd: cdranon risk --plot
        libjansson-dev libacl1-dev libgd-dev
        libcriterion-dev valgrind python3 coreutils bc time
        # the tests' Python venv (scripts/pyenv.sh)
        python3-venv
        openjdk-17-jre-headless maven
        # make failover: network namespaces, veth pairs and a bridge (ip)
        iproute2
        # make bench: plots; the benchmark peers' Java build
        gnuplot-nox openjdk-17-jdk-headless
        # make install's manual page; the systemd unit's check
        # (systemd-analyze verify) and its ExecReload=/bin/kill
        groff-base man-db systemd procps
)

log() { printf '== %s\n' "$*" >&2; }

missing_packages() {
        local p status
        for p in "${PACKAGES[@]}"; do
                status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
                [[ $status == "install ok installed" ]] || echo "$p"
        done
}

install_deps() {
        local missing sudo=()
        mapfile -t missing < <(missing_packages)
        if ((${#missing[@]} == 0)); then
                log "Debian packages: all present"
                return 0
        fi
        if ((EUID != 0)); then
                # check-commands: optional sudo (only without root)
                if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
                        sudo=(sudo)
                else
                        echo "setup: missing Debian packages: ${missing[*]}" >&2
                        echo "setup: run this script as root, or install them:" \
                             "apt-get install ${missing[*]}" >&2
                        exit 1
                fi
        fi
        log "installing: ${missing[*]}"
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
        log "building"
        make -j"$(nproc)" all
}

case "${1:-}" in
deps)
        install_deps
        ;;
demo)
        install_deps
        build
        bash scripts/demo.sh
        exec bash scripts/demo-kafka.sh
        ;;
check)
        install_deps
        build
        log "running every test (make check)"
        make -j1 check
        ;;
*)
        echo "usage: scripts/setup.sh demo|check|deps" >&2
        exit 2
        ;;
esac
