#!/usr/bin/env bash
# Runs schema_vectors.py in a virtualenv of confluent-kafka (made once, under
# ~/.cache/kprod) and prints its vectors: kprod's tests read the committed
# tests/vectors/schemas.tsv, so they need no Python.
set -euo pipefail
VENV="${KPROD_CONFLUENT_VENV:-$HOME/.cache/kprod/confluent-venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import confluent_kafka, grpc_tools' 2>/dev/null; then
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q 'confluent-kafka[avro,json,protobuf,schemaregistry]==2.16.1' grpcio-tools >&2
fi
exec "$VENV/bin/python" "$(dirname "$0")/schema_vectors.py"
