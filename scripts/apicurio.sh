#!/usr/bin/env bash
# Obtains Apicurio Registry from Maven Central and runs it on loopback with
# in-memory storage, as the schema registry of kprod's tests (it serves
# Confluent's API at /apis/ccompat/v7; in-memory storage is its default, an H2
# database in memory).
#
#   apicurio.sh fetch              the app into the cache; prints its dir
#   apicurio.sh java               prints the Java 21+ it runs on
#   apicurio.sh start DIR          starts it in DIR; prints the ccompat URL
#   apicurio.sh stop DIR           stops it
#
# If APICURIO_SH_OWNER_PID is set, the registry is stopped when that process
# ends.
set -euo pipefail

VERSION=3.3.3
ARTIFACT="io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all"
CACHE="${KPROD_APICURIO_CACHE:-$HOME/.cache/kprod/apicurio-$VERSION}"
APP="$CACHE/app"
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
START_TIMEOUT=120

say() { echo "apicurio.sh: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { sed -n '7,10p' "$SELF" | sed 's/^# \{0,1\}//' >&2; exit 2; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed ($2)"; }

# Apicurio's classes need Java 21 or newer; the machine's default java may be
# 17 (Kafka's), so a newer JDK is looked for where Debian and Temurin put
# them. APICURIO_JAVA overrides.
find_java() {
    local j v
    for j in ${APICURIO_JAVA:-} /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
        /usr/lib/jvm/temurin-*/bin/java /usr/lib/jvm/java-2[1-9]-*/bin/java \
        "${JAVA_HOME:-/nonexistent}/bin/java" "$(command -v java || true)"; do
        [ -n "$j" ] && [ -x "$j" ] || continue
        v=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
        if [ -n "$v" ] && [ "${v%%.*}" -ge 21 ] 2>/dev/null; then
            echo "$j"
            return
        fi
    done
    die "Apicurio Registry needs Java 21 or newer and none was found (.ci/run installs Temurin 25; APICURIO_JAVA names another)"
}

fetch() {
    if [ -f "$CACHE/complete" ]; then
        echo "$APP"
        return
    fi
    need mvn "Maven fetches Apicurio Registry"
    mkdir -p "$CACHE"
    exec 9>"$CACHE.lock"
    flock 9
    if [ ! -f "$CACHE/complete" ]; then
        say "fetching Apicurio Registry $VERSION from Maven Central into $CACHE"
        mvn -q -B dependency:get -Dartifact="$ARTIFACT" -Dtransitive=false >&2 \
            || die "Maven could not fetch $ARTIFACT"
        local repo tarball
        repo=$(mvn -q -B help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null || true)
        [ -d "$repo" ] || repo="$HOME/.m2/repository"
        tarball="$repo/io/apicurio/apicurio-registry-app/$VERSION/apicurio-registry-app-$VERSION-all.tar.gz"
        [ -f "$tarball" ] || die "Maven reported success but $tarball is missing"
        rm -rf "$APP" "$APP.tmp"
        mkdir -p "$APP.tmp"
        tar -xzf "$tarball" -C "$APP.tmp" || die "cannot unpack $tarball"
        # The tarball's layout has one directory holding quarkus-run.jar.
        local run
        run=$(find "$APP.tmp" -name quarkus-run.jar -print -quit)
        [ -n "$run" ] || die "$tarball holds no quarkus-run.jar"
        mv "$(dirname "$run")" "$APP"
        rm -rf "$APP.tmp"
        touch "$CACHE/complete"
    fi
    flock -u 9
    echo "$APP"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

alive() { [ -f "$1/pid" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null; }

start() {
    local dir=$1 java port mport url waited=0
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/url" ] && alive "$dir"; then
        cat "$dir/url"
        return
    fi
    fetch >/dev/null
    java=$(find_java)
    need python3 "it picks free ports"
    need openssl "OpenSSL makes the certificate of its HTTPS port"
    port=$(free_port)
    mport=$(free_port)
    sport=$(free_port)
    url="http://127.0.0.1:$port/apis/ccompat/v7"
    # The same API over HTTPS too, for clients' TLS settings: a CA of its
    # own, and a certificate for 127.0.0.1 and localhost. DIR/tls.env names
    # the URL and the CA.
    (
        cd "$dir"
        ossl() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"; }
        ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
            -subj "/CN=kprod test registry CA"
        ossl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
        ossl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out server.pem -days 2 -extfile server.ext
        printf 'HTTPS_URL=https://127.0.0.1:%s/apis/ccompat/v7\nCA=%s/ca.pem\n' \
            "$sport" "$dir" >tls.env
    )
    (
        cd "$dir"
        setsid "$java" -Xms64m -Xmx512m -XX:+UseSerialGC \
            -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
            -Dquarkus.http.ssl-port="$sport" \
            -Dquarkus.http.ssl.certificate.files="$dir/server.pem" \
            -Dquarkus.http.ssl.certificate.key-files="$dir/server.key" \
            -Dquarkus.management.port="$mport" -Dquarkus.management.host=127.0.0.1 \
            -jar "$APP/quarkus-run.jar" >>"$dir/apicurio.log" 2>&1 </dev/null &
        echo $! >"$dir/pid"
    )
    until curl -fsS -o /dev/null "$url/subjects" 2>/dev/null; do
        if ! alive "$dir"; then
            say "Apicurio exited while starting; its log:"
            tail -n 60 "$dir/apicurio.log" >&2
            exit 1
        fi
        if [ "$waited" -ge $((START_TIMEOUT * 2)) ]; then
            say "Apicurio did not answer in ${START_TIMEOUT}s; its log:"
            tail -n 60 "$dir/apicurio.log" >&2
            stop "$dir"
            exit 1
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    echo "$url" >"$dir/url"
    if [ -n "${APICURIO_SH_OWNER_PID:-}" ]; then
        setsid bash -c "while kill -0 $APICURIO_SH_OWNER_PID 2>/dev/null; do sleep 1; done; bash '$SELF' stop '$dir'" \
            </dev/null >/dev/null 2>&1 &
    fi
    echo "$url"
}

stop() {
    local dir=$1 pid i
    [ -f "$dir/pid" ] || return 0
    pid=$(cat "$dir/pid")
    if kill -TERM "$pid" 2>/dev/null; then
        for i in $(seq 40); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/pid" "$dir/url"
}

case "${1:-}" in
    fetch) [ $# = 1 ] || usage; fetch ;;
    java) [ $# = 1 ] || usage; find_java ;;
    start) [ $# = 2 ] || usage; start "$2" ;;
    stop) [ $# = 2 ] || usage; stop "$2" ;;
    *) usage ;;
esac
