"""Prints test vectors for kprod's schema serializers from confluent-kafka's
own (Avro, Protobuf, JSON Schema), against its mock registry: one line per
case, FORMAT<TAB>SCHEMA<TAB>MESSAGE<TAB>ID<TAB>INPUT<TAB>HEX, where INPUT is
the JSON a kprod user types and the Python value below is the same record in
the types confluent-kafka takes.

Regenerate (tests/vectors/schema_vectors.sh makes the virtualenv):
    bash tests/vectors/schema_vectors.sh > tests/vectors/schemas.tsv
"""

import datetime
import decimal
import importlib
import json
import os
import subprocess
import sys
import tempfile

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "schemas")
# One registry for every case: each topic's subject gets an id of its own,
# so the vectors also show the id in the framing change.
REGISTRY = SchemaRegistryClient.new_client({"url": "mock://vectors"})


def read(name):
    with open(os.path.join(SCHEMAS, name)) as f:
        return f.read()


def line(fmt, schema, message, sid, text, data):
    print("\t".join([fmt, schema, message, str(sid), text, data.hex()]))


def schema_id(topic):
    return REGISTRY.get_latest_version(topic + "-value").schema_id


def avro(schema, topic, text, value):
    ser = AvroSerializer(REGISTRY, read(schema))
    data = ser(value, SerializationContext(topic, MessageField.VALUE))
    line("avro", schema, "-", schema_id(topic), text, data)


def json_schema(schema, topic, text):
    ser = JSONSerializer(read(schema), REGISTRY)
    data = ser(json.loads(text), SerializationContext(topic, MessageField.VALUE))
    line("json-schema", schema, "-", schema_id(topic), text, data)


def protobuf_module():
    """orders.proto compiled by protoc (grpcio-tools) into a Python module."""
    from grpc_tools import protoc

    out = tempfile.mkdtemp()
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    code = protoc.main(["protoc", "-I" + SCHEMAS, "-I" + include,
                        "--python_out=" + out, "orders.proto"])
    if code != 0:
        sys.exit("protoc failed on orders.proto")
    sys.path.insert(0, out)
    return importlib.import_module("orders_pb2")


def protobuf(cls, name, topic, text):
    ser = ProtobufSerializer(cls, REGISTRY, {"use.deprecated.format": False})
    msg = json_format.Parse(text, cls())
    data = ser(msg, SerializationContext(topic, MessageField.VALUE))
    line("protobuf", "orders.proto", name, schema_id(topic), text, data)


def main():
    utc = datetime.timezone.utc
    avro("order.avsc", "a-order", '{"id":42,"item":"book"}', {"id": 42, "item": "book"})
    avro("order.avsc", "a-order", '{"id":-1,"item":"café ✓"}', {"id": -1, "item": "café ✓"})
    avro(
        "payment.avsc", "a-payment",
        '{"id":7,"note":"gift","status":"PAID","day":"2024-03-01",'
        '"at":"2024-03-01T12:30:00.250Z","amount":"12.34","raw":"\\u0000\\u0001\\u00ff",'
        '"tags":["a","b"],"rate":1.5}',
        {"id": 7, "note": "gift", "status": "PAID", "day": datetime.date(2024, 3, 1),
         "at": datetime.datetime(2024, 3, 1, 12, 30, 0, 250000, tzinfo=utc),
         "amount": decimal.Decimal("12.34"), "raw": b"\x00\x01\xff",
         "tags": ["a", "b"], "rate": 1.5},
    )
    # Unions in Avro's own JSON encoding ({"string": ...}), numbers for the
    # logical types, and a negative decimal.
    avro(
        "payment.avsc", "a-payment",
        '{"id":-300,"note":null,"status":"NEW","day":19783,"at":1709296200250,'
        '"amount":-0.5,"raw":"","tags":[],"rate":{"string":"high"}}',
        {"id": -300, "note": None, "status": "NEW", "day": datetime.date(2024, 3, 1),
         "at": datetime.datetime(2024, 3, 1, 12, 30, 0, 250000, tzinfo=utc),
         "amount": decimal.Decimal("-0.50"), "raw": b"", "tags": [], "rate": "high"},
    )
    pb = protobuf_module()
    protobuf(pb.Order, "kprod.test.Order", "p-order", '{"id":42,"item":"book"}')
    protobuf(
        pb.Shipment, "kprod.test.Shipment", "p-shipment",
        '{"order":"A-1","parcels":[{"label":"box","grams":"1200"},{"label":"tube","grams":300}],'
        '"sent":"2024-03-01T12:30:00.250Z","status":"SENT"}',
    )
    protobuf(pb.Shipment.Parcel, "kprod.test.Shipment.Parcel", "p-parcel",
             '{"label":"box","grams":1200}')
    json_schema("order.schema.json", "j-order", '{"id":42,"item":"book"}')
    json_schema("order.schema.json", "j-order", '{"id":1,"item":"café ✓","tags":["x"]}')


if __name__ == "__main__":
    main()
