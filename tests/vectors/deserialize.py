"""Reads records kprod wrote back with confluent-kafka's own deserializers,
against a real registry: argv is URL FORMAT TOPIC HEX...; prints each
record decoded, as compact JSON, one a line. Run by tests/schema.rs through
schema_vectors.sh's virtualenv."""

import json
import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import json_format

from schema_vectors import protobuf_module


def main():
    url, fmt, topic, *records = sys.argv[1:]
    client = SchemaRegistryClient({"url": url})
    if fmt == "avro":
        de = AvroDeserializer(client)
    elif fmt == "json-schema":
        de = JSONDeserializer(None, schema_registry_client=client)
    else:
        de = ProtobufDeserializer(getattr(protobuf_module(), fmt.split(":")[1]), {"use.deprecated.format": False})
    ctx = SerializationContext(topic, MessageField.VALUE)
    for hexed in records:
        value = de(bytes.fromhex(hexed), ctx)
        if fmt.startswith("protobuf"):
            value = json_format.MessageToDict(value)
        print(json.dumps(value, separators=(",", ":"), sort_keys=True))


if __name__ == "__main__":
    main()
