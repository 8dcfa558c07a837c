#!/usr/bin/env bash
# Builds the benchmark peers under build/peers/ (never part of the
# product); idempotent, quiet when everything is there.
#
#   build/peers/venv          Python venv: confluent-kafka and cryptography
#                             from PyPI (manylinux wheels for CPython 3.11)
#   build/peers/java          the Kafka Streams peer: classes/ and, in
#                             dependency/, kafka-streams 3.9.1 and its
#                             runtime jars from Maven Central
#
# The only step that uses the network.  Needs python3 (with venv), mvn and
# a JDK 17 (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PY_PACKAGES=(confluent-kafka==2.16.1 cryptography==50.0.2)
venv=build/peers/venv
java_out=$PWD/build/peers/java

log() { printf '== peers: %s\n' "$*" >&2; }

if ! "$venv/bin/python" -c 'import confluent_kafka, cryptography' \
        2>/dev/null; then
        log "Python venv with ${PY_PACKAGES[*]}"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check \
                --only-binary=:all: "${PY_PACKAGES[@]}"
fi

src=bench/peers/java
stamp=$java_out/.built
if [[ ! -f $stamp ]] || [[ -n $(find "$src" -newer "$stamp" -type f) ]]; then
        log "Kafka Streams peer (mvn package)"
        mvn -q -B --no-transfer-progress -Dstyle.color=never \
                -f "$src/pom.xml" -DbuildDir="$java_out" \
                package dependency:copy-dependencies >&2
        touch "$stamp"
fi
