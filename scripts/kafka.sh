#!/usr/bin/env bash
# Obtains Apache Kafka from Maven Central and runs a KRaft cluster on
# loopback, for kprod's tests and `kprod --local-kafka`.
#
#   kafka.sh fetch                 jars into the cache; prints the libs dir
#   kafka.sh start N DIR           N brokers (1-3) in DIR; prints bootstrap
#   kafka.sh stop DIR              stops every node of DIR's cluster
#   kafka.sh stop-node DIR I       stops broker I (1..N)
#   kafka.sh start-node DIR I      starts broker I again, same data
#   kafka.sh start-secure DIR      one secured broker in DIR; prints DIR/secure.env
#
# With more than one broker a separate controller runs beside them, so
# brokers can be stopped without losing the KRaft quorum. If
# KAFKA_SH_OWNER_PID is set, the cluster is stopped when that process ends.
set -euo pipefail

VERSION=4.3.1
LOG4J=2.24.3
CACHE="${KPROD_KAFKA_CACHE:-$HOME/.cache/kprod/kafka-$VERSION}"
LIBS="$CACHE/libs"
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
CONTROLLER_ID=100
START_TIMEOUT=120

say() { echo "kafka.sh: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { sed -n '5,11p' "$SELF" | sed 's/^# \{0,1\}//' >&2; exit 2; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed ($2)"; }

# fetch: the broker, the tools and a log4j2 binding (Maven's jars have none,
# and a broker that logs nothing cannot say why it failed).
fetch() {
    if [ -f "$CACHE/complete" ]; then
        echo "$LIBS"
        return
    fi
    need java "Java 17 runs Kafka"
    need mvn "Maven fetches Kafka's jars"
    mkdir -p "$CACHE"
    exec 9>"$CACHE.lock"
    flock 9
    if [ ! -f "$CACHE/complete" ]; then
        cat >"$CACHE/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kprod</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J</version></dependency>
  </dependencies>
</project>
POM
        say "fetching Apache Kafka $VERSION from Maven Central into $CACHE"
        rm -rf "$LIBS"
        mvn -q -B -f "$CACHE/pom.xml" dependency:copy-dependencies \
            -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2 \
            || die "Maven could not fetch Kafka $VERSION"
        touch "$CACHE/complete"
    fi
    flock -u 9
    echo "$LIBS"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

alive() { [ -f "$1/pid" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null; }

started_count() {
    local c
    c=$(grep -c "Kafka Server started" "$1/kafka.log" 2>/dev/null) || true
    echo "${c:-0}"
}

# Starts the node in $1 and waits until its log says it started once more
# than before, and (for a broker) its port answers.
launch() {
    local node=$1 port=${2:-} before
    before=$(started_count "$node")
    (
        cd "$node"
        # shellcheck disable=SC2046 # a node's own JVM options, one a line
        setsid java -Xms64m -Xmx384m -XX:+UseSerialGC \
            -Dlog4j2.configurationFile="$node/../log4j2.properties" \
            $(cat "$node/jvm.options" 2>/dev/null) \
            -cp "$LIBS/*" kafka.Kafka "$node/server.properties" >>"$node/kafka.log" 2>&1 </dev/null &
        echo $! >"$node/pid"
    )
    local waited=0
    until [ "$(started_count "$node")" -gt "$before" ] \
        && { [ -z "$port" ] || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }; do
        if ! alive "$node"; then
            say "$(basename "$node") exited while starting; its log:"
            tail -n 80 "$node/kafka.log" >&2
            return 1
        fi
        if [ "$waited" -ge $((START_TIMEOUT * 2)) ]; then
            say "$(basename "$node") did not start in ${START_TIMEOUT}s; its log:"
            tail -n 80 "$node/kafka.log" >&2
            return 1
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
}

# Stops the node in $1: SIGTERM (a broker hands its partitions over), then
# SIGKILL after 30 s.
halt() {
    local node=$1 pid i
    [ -f "$node/pid" ] || return 0
    pid=$(cat "$node/pid")
    if kill -TERM "$pid" 2>/dev/null; then
        for i in $(seq 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$node/pid"
}

common_props() {
    cat <<PROPS
controller.listener.names=CONTROLLER
listener.security.protocol.map=${4:-PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT}
log.dirs=$1/data
num.partitions=6
default.replication.factor=$2
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
offsets.topic.replication.factor=$2
transaction.state.log.replication.factor=$2
transaction.state.log.min.isr=$3
PROPS
}

# A broker that logs nothing cannot say why it failed: INFO to its log,
# without the storage layer's chatter.
write_log4j() {
    cat >"$1/log4j2.properties" <<LOG
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.noisy.name = org.apache.kafka.storage.internals.log
logger.noisy.level = WARN
LOG
}

# start: writes every node's properties, formats storage with one cluster
# id, starts the controller (if separate) and the brokers.
start() {
    local n=$1 dir=$2 id cport i port rf minisr voters bootstrap=""
    case "$n" in 1|2|3) ;; *) usage ;; esac
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/bootstrap" ]; then
        local all=1
        for node in "$dir"/node-* "$dir"/controller; do
            [ -d "$node" ] && ! alive "$node" && all=0
        done
        if [ "$all" = 1 ]; then
            cat "$dir/bootstrap"
            return
        fi
        die "$dir holds a cluster that is partly down: stop it first"
    fi
    fetch >/dev/null
    rf=$n; [ "$rf" -gt 3 ] && rf=3
    minisr=$((rf > 1 ? 2 : 1))
    cport=$(free_port)
    write_log4j "$dir"
    id=$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    if [ "$n" = 1 ]; then
        voters="1@127.0.0.1:$cport"
    else
        voters="$CONTROLLER_ID@127.0.0.1:$cport"
        mkdir -p "$dir/controller"
        {
            echo "process.roles=controller"
            echo "node.id=$CONTROLLER_ID"
            echo "controller.quorum.voters=$voters"
            echo "listeners=CONTROLLER://127.0.0.1:$cport"
            common_props "$dir/controller" "$rf" "$minisr"
        } >"$dir/controller/server.properties"
    fi
    for i in $(seq "$n"); do
        port=$(free_port)
        mkdir -p "$dir/node-$i"
        {
            echo "node.id=$i"
            echo "controller.quorum.voters=$voters"
            if [ "$n" = 1 ]; then
                echo "process.roles=broker,controller"
                echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
            else
                echo "process.roles=broker"
                echo "listeners=PLAINTEXT://127.0.0.1:$port"
            fi
            echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port"
            echo "inter.broker.listener.name=PLAINTEXT"
            common_props "$dir/node-$i" "$rf" "$minisr"
        } >"$dir/node-$i/server.properties"
        echo "$port" >"$dir/node-$i/port"
        bootstrap="${bootstrap:+$bootstrap,}127.0.0.1:$port"
    done
    for node in "$dir"/controller "$dir"/node-*; do
        [ -d "$node" ] || continue
        java -cp "$LIBS/*" kafka.tools.StorageTool format -t "$id" -c "$node/server.properties" \
            --ignore-formatted >"$node/format.log" 2>&1 \
            || { cat "$node/format.log" >&2; die "cannot format $(basename "$node")"; }
    done
    if [ -d "$dir/controller" ]; then
        launch "$dir/controller" || { stop "$dir"; exit 1; }
    fi
    for i in $(seq "$n"); do
        launch "$dir/node-$i" "$(cat "$dir/node-$i/port")" || { stop "$dir"; exit 1; }
    done
    echo "$bootstrap" >"$dir/bootstrap"
    if [ -n "${KAFKA_SH_OWNER_PID:-}" ]; then
        setsid bash -c "while kill -0 $KAFKA_SH_OWNER_PID 2>/dev/null; do sleep 1; done; bash '$SELF' stop '$dir'" \
            </dev/null >/dev/null 2>&1 &
    fi
    echo "$bootstrap"
}

# start-secure: one broker (and controller) that serves every way a client
# authenticates, with certificates and users made here, for this run only:
#   PLAINTEXT       the brokers' own traffic, and tests reading back
#   SASL_SSL        SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN over TLS
#   SSL             TLS with a client certificate (required)
#                   and OAUTHBEARER, its tokens from a client-credentials
#                   endpoint kprod's tests run (scripts/token-endpoint.py)
#   SASL_PLAINTEXT  PLAIN and SCRAM without TLS
# DIR/secure.env names the ports, files and credentials; DIR/client-*.properties
# are Java client.properties files a user would have, one per kind.
start_secure() {
    local dir=$1 tls pw user=alice userpw oauth_secret id cport p0 p1 p2 p3 node jaas_scram jaas_plain
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    node="$dir/node-1"
    if [ -f "$dir/secure.env" ] && alive "$node"; then
        cat "$dir/secure.env"
        return
    fi
    need openssl "OpenSSL makes the test certificates"
    need keytool "keytool (Java) makes the truststore"
    fetch >/dev/null
    tls="$dir/tls"
    mkdir -p "$tls" "$node"
    need python3 "the OAuth token endpoint is Python"
    pw=$(openssl rand -hex 12)
    userpw=$(openssl rand -hex 12)
    oauth_secret=$(openssl rand -hex 12)
    (
        cd "$tls"
        ossl() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"; }
        # The cluster's CA, and one the cluster never heard of.
        for ca in ca other-ca; do
            ossl req -x509 -newkey rsa:2048 -nodes -keyout "$ca.key" -out "$ca.pem" \
                -days 2 -subj "/CN=kprod test $ca"
        done
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
        printf 'extendedKeyUsage=clientAuth\n' >client.ext
        for who in server client; do
            ossl req -newkey rsa:2048 -nodes -keyout "$who.key" -out "$who.csr" \
                -subj "/CN=kprod-$who"
            ossl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
                -out "$who.pem" -days 2 -extfile "$who.ext"
            ossl pkcs12 -export -in "$who.pem" -inkey "$who.key" -certfile ca.pem \
                -out "$who.p12" -passout "pass:$pw" -name "$who"
        done
        keytool -importcert -noprompt -storetype PKCS12 -keystore truststore.p12 \
            -storepass "$pw" -alias ca -file ca.pem >/dev/null 2>&1 \
            || die "keytool could not make the truststore"
        ossl genrsa -out token-signing.key 2048
    )
    # The identity provider: its JWKS file first, as the broker reads it at
    # start, then its port.
    rm -f "$dir/token.port"
    setsid python3 "$(dirname "$SELF")/token-endpoint.py" "$tls/token-signing.key" \
        "$tls/jwks.json" "$dir/token.port" kprod "$oauth_secret" \
        >>"$dir/token-endpoint.log" 2>&1 </dev/null &
    echo $! >"$dir/token.pid"
    local waited=0
    until [ -s "$dir/token.port" ]; do
        [ "$waited" -lt 40 ] || die "the token endpoint did not start: $(cat "$dir/token-endpoint.log")"
        sleep 0.25
        waited=$((waited + 1))
    done
    local token_url
    token_url="http://127.0.0.1:$(cat "$dir/token.port")/token"
    echo "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://$tls/jwks.json" >"$node/jvm.options"
    p0=$(free_port); p1=$(free_port); p2=$(free_port); p3=$(free_port); cport=$(free_port)
    jaas_scram='org.apache.kafka.common.security.scram.ScramLoginModule required;'
    jaas_plain="org.apache.kafka.common.security.plain.PlainLoginModule required user_$user=\"$userpw\";"
    {
        echo "node.id=1"
        echo "process.roles=broker,controller"
        echo "controller.quorum.voters=1@127.0.0.1:$cport"
        echo "listeners=PLAINTEXT://127.0.0.1:$p0,SASL_SSL://127.0.0.1:$p1,SSL://127.0.0.1:$p2,SASL_PLAINTEXT://127.0.0.1:$p3,CONTROLLER://127.0.0.1:$cport"
        echo "advertised.listeners=PLAINTEXT://127.0.0.1:$p0,SASL_SSL://127.0.0.1:$p1,SSL://127.0.0.1:$p2,SASL_PLAINTEXT://127.0.0.1:$p3"
        echo "inter.broker.listener.name=PLAINTEXT"
        common_props "$node" 1 1 \
            "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT"
        echo "listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN,OAUTHBEARER"
        echo "listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN"
        echo "listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"
        echo "listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler"
        echo "sasl.oauthbearer.jwks.endpoint.url=file://$tls/jwks.json"
        echo "sasl.oauthbearer.expected.audience=kafka"
        echo "sasl.oauthbearer.expected.issuer=kprod-test"
        for l in sasl_ssl sasl_plaintext; do
            echo "listener.name.$l.scram-sha-512.sasl.jaas.config=$jaas_scram"
            echo "listener.name.$l.scram-sha-256.sasl.jaas.config=$jaas_scram"
            echo "listener.name.$l.plain.sasl.jaas.config=$jaas_plain"
        done
        echo "ssl.keystore.type=PKCS12"
        echo "ssl.keystore.location=$tls/server.p12"
        echo "ssl.keystore.password=$pw"
        echo "ssl.key.password=$pw"
        echo "ssl.truststore.type=PKCS12"
        echo "ssl.truststore.location=$tls/truststore.p12"
        echo "ssl.truststore.password=$pw"
        echo "listener.name.ssl.ssl.client.auth=required"
    } >"$node/server.properties"
    chmod 600 "$node/server.properties"
    echo "$p0" >"$node/port"
    write_log4j "$dir"
    id=$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java -cp "$LIBS/*" kafka.tools.StorageTool format -t "$id" -c "$node/server.properties" \
        --add-scram "SCRAM-SHA-512=[name=$user,password=$userpw]" \
        --add-scram "SCRAM-SHA-256=[name=$user,password=$userpw]" \
        --ignore-formatted >"$node/format.log" 2>&1 \
        || { cat "$node/format.log" >&2; die "cannot format the secured broker"; }
    launch "$node" "$p0" || { stop "$dir"; exit 1; }
    for port in "$p1" "$p2" "$p3"; do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { stop "$dir"; die "port $port does not answer"; }
    done
    local scram512="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$user\" password=\"$userpw\";"
    local plain="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$user\" password=\"$userpw\";"
    {
        echo "security.protocol=SASL_SSL"
        echo "sasl.mechanism=SCRAM-SHA-512"
        echo "sasl.jaas.config=$scram512"
        echo "ssl.truststore.location=$tls/truststore.p12"
        echo "ssl.truststore.password=$pw"
        echo "ssl.truststore.type=PKCS12"
    } >"$dir/client-sasl-ssl-scram.properties"
    {
        echo "security.protocol=SASL_SSL"
        echo "sasl.mechanism=OAUTHBEARER"
        echo "sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"
        echo "sasl.oauthbearer.token.endpoint.url=$token_url"
        echo "sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"kprod\" clientSecret=\"$oauth_secret\" scope=\"produce\";"
        echo "ssl.truststore.location=$tls/truststore.p12"
        echo "ssl.truststore.password=$pw"
        echo "ssl.truststore.type=PKCS12"
    } >"$dir/client-sasl-ssl-oauth.properties"
    {
        echo "security.protocol=SSL"
        echo "ssl.truststore.location=$tls/truststore.p12"
        echo "ssl.truststore.password=$pw"
        echo "ssl.truststore.type=PKCS12"
        echo "ssl.keystore.location=$tls/client.p12"
        echo "ssl.keystore.password=$pw"
        echo "ssl.keystore.type=PKCS12"
        echo "ssl.key.password=$pw"
        echo "ssl.endpoint.identification.algorithm=https"
    } >"$dir/client-ssl.properties"
    {
        echo "security.protocol=SASL_PLAINTEXT"
        echo "sasl.mechanism=PLAIN"
        echo "sasl.jaas.config=$plain"
    } >"$dir/client-sasl-plaintext-plain.properties"
    {
        echo "PLAINTEXT=127.0.0.1:$p0"
        echo "SASL_SSL=127.0.0.1:$p1"
        echo "SSL=127.0.0.1:$p2"
        echo "SASL_PLAINTEXT=127.0.0.1:$p3"
        echo "CA=$tls/ca.pem"
        echo "OTHER_CA=$tls/other-ca.pem"
        echo "CLIENT_CERT=$tls/client.pem"
        echo "CLIENT_KEY=$tls/client.key"
        echo "CLIENT_P12=$tls/client.p12"
        echo "TRUSTSTORE_P12=$tls/truststore.p12"
        echo "STORE_PASSWORD=$pw"
        echo "USER=$user"
        echo "PASSWORD=$userpw"
        echo "TOKEN_URL=$token_url"
        echo "OAUTH_CLIENT=kprod"
        echo "OAUTH_SECRET=$oauth_secret"
    } >"$dir/secure.env"
    chmod 600 "$dir"/secure.env "$dir"/client-*.properties
    if [ -n "${KAFKA_SH_OWNER_PID:-}" ]; then
        setsid bash -c "while kill -0 $KAFKA_SH_OWNER_PID 2>/dev/null; do sleep 1; done; bash '$SELF' stop '$dir'" \
            </dev/null >/dev/null 2>&1 &
    fi
    cat "$dir/secure.env"
}

# stop: brokers first, so they hand over to each other, then the controller.
stop() {
    local dir=$1 node
    [ -d "$dir" ] || return 0
    for node in "$dir"/node-*; do
        [ -d "$node" ] && halt "$node" &
    done
    wait
    [ -d "$dir/controller" ] && halt "$dir/controller"
    if [ -f "$dir/token.pid" ]; then
        kill "$(cat "$dir/token.pid")" 2>/dev/null || true
        rm -f "$dir/token.pid"
    fi
    rm -f "$dir/bootstrap"
}

node_dir() {
    [ -d "$1/node-$2" ] || die "$1 has no broker $2"
    echo "$1/node-$2"
}

case "${1:-}" in
    fetch) [ $# = 1 ] || usage; fetch ;;
    start) [ $# = 3 ] || usage; start "$2" "$3" ;;
    start-secure) [ $# = 2 ] || usage; start_secure "$2" ;;
    stop) [ $# = 2 ] || usage; stop "$2" ;;
    stop-node) [ $# = 3 ] || usage; halt "$(node_dir "$2" "$3")" ;;
    start-node)
        [ $# = 3 ] || usage
        node=$(node_dir "$2" "$3")
        alive "$node" && exit 0
        fetch >/dev/null
        launch "$node" "$(cat "$node/port")"
        ;;
    *) usage ;;
esac
