//! `kprod produce` with schema serializers against a real registry (Apicurio
//! Registry, scripts/apicurio.sh) and real Kafka: what kprod wrote is read
//! back and decoded through the registry by another library, and a bad
//! record, an incompatible schema or an unreachable registry stops the run
//! with a clear message before anything is sent.

mod common;

use common::confluent::{confluent_decoded, confluent_python};
use common::kafka::Cluster;
use common::readback::read_all;

fn vectors(name: &str) -> String {
    format!(
        "{}/tests/vectors/schemas/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The schema id in a record's Confluent framing.
fn framed_id(bytes: &[u8]) -> u32 {
    assert_eq!(bytes[0], 0, "magic byte");
    u32::from_be_bytes(bytes[1..5].try_into().unwrap())
}

fn registry_get(url: &str, path: &str) -> serde_json::Value {
    let out = std::process::Command::new("curl")
        .args(["-fsS", &format!("{url}{path}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn confluent_kafkas_deserializers_read_what_kprod_wrote() {
    let test = "confluent_kafkas_deserializers_read_what_kprod_wrote";
    let Some(python) = confluent_python(test) else {
        return;
    };
    let Some((url, kafka)) = registry_and_broker(test) else {
        return;
    };
    let cases = [
        ("avro", "order.avsc", None, "avro"),
        ("protobuf", "orders.proto", Some("Order"), "protobuf:Order"),
        ("json-schema", "order.schema.json", None, "json-schema"),
    ];
    for (serializer, file, message, decoder) in cases {
        let topic = format!("schema-confluent-{serializer}");
        let schema = vectors(file);
        let mut args = vec![
            "-b",
            &kafka.bootstrap,
            "-t",
            &topic,
            "-q",
            "--value-serializer",
            serializer,
            "--value-schema",
            &schema,
            "--schema-registry",
            url,
        ];
        if let Some(m) = message {
            args.extend(["--value-message", m]);
        }
        let (code, _, stderr) = common::produce(
            &args,
            "{\"id\":42,\"item\":\"book\"}\n{\"id\":-1,\"item\":\"café ✓\"}\n",
        );
        assert_eq!(code, 0, "{serializer}: {stderr}");
        let mut values: Vec<Vec<u8>> = read_all(&kafka.bootstrap, &topic)
            .into_iter()
            .filter_map(|r| r.value)
            .collect();
        values.sort();
        let mut decoded = confluent_decoded(&python, url, decoder, &topic, &values);
        decoded.sort_by_key(|v| v["id"].as_i64());
        assert_eq!(
            decoded,
            [
                serde_json::json!({"id": -1, "item": "café ✓"}),
                serde_json::json!({"id": 42, "item": "book"})
            ],
            "{serializer}"
        );
    }
}

/// The registry and the broker this test process shares, or None (the
/// test is skipped, and says why) where either is missing outside CI.
fn registry_and_broker(test: &str) -> Option<(&'static str, &'static Cluster)> {
    let url = common::apicurio::shared(test)?;
    Some((url, Cluster::shared(test)?))
}

fn sent(events: &[serde_json::Value]) -> u64 {
    events
        .iter()
        .find(|e| e["name"] == "shutdown_complete")
        .and_then(|e| e["sent"].as_u64())
        .unwrap_or(0)
}

#[tokio::test]
async fn avro_through_apicurio_is_read_back_and_decoded_by_another_library() {
    let test = "avro_through_apicurio_is_read_back_and_decoded_by_another_library";
    let Some((url, kafka)) = registry_and_broker(test) else {
        return;
    };
    let topic = "schema-avro-readback";
    let input = concat!(
        r#"{"id":7,"note":"gift","status":"PAID","day":"2024-03-01","at":"2024-03-01T12:30:00.250Z","amount":"12.34","raw":"\u0000\u0001","tags":["a"],"rate":1.5}"#,
        "\n",
        r#"{"id":8,"note":null,"status":"NEW","day":19783,"at":1709296200250,"amount":-0.5,"raw":"","tags":[],"rate":{"string":"high"}}"#,
        "\n"
    );
    let schema = vectors("payment.avsc");
    let (code, events, stderr) = common::produce(
        &[
            "-b",
            &kafka.bootstrap,
            "-t",
            topic,
            "-q",
            "--value-serializer",
            "avro",
            "--value-schema",
            &schema,
            "--schema-registry",
            url,
        ],
        input,
    );
    assert_eq!(code, 0, "{stderr}\n{events:?}");
    // Registered under TopicNameStrategy's subject, as the Java serializer does.
    let latest = registry_get(url, &format!("/subjects/{topic}-value/versions/latest"));
    let id = latest["id"].as_u64().unwrap() as u32;
    let records = read_all(&kafka.bootstrap, topic);
    assert_eq!(records.len(), 2);
    // reqwest is built with rustls and no crypto provider of its own; kprod's
    // registry client installs ring's for the process.
    kprod::engine::schema::registry::Registry::new(url, None).unwrap();
    let decoder = schema_registry_converter::async_impl::avro::AvroDecoder::new(
        schema_registry_converter::async_impl::schema_registry::SrSettings::new(url.to_string()),
    );
    let mut decoded = Vec::new();
    for r in &records {
        let bytes = r.value.as_ref().unwrap();
        assert_eq!(framed_id(bytes), id);
        decoded.push(decoder.decode(Some(bytes)).await.unwrap().value);
    }
    use apache_avro::types::Value;
    let field = |v: &Value, name: &str| match v {
        Value::Record(fields) => fields.iter().find(|(n, _)| n == name).unwrap().1.clone(),
        other => panic!("not a record: {other:?}"),
    };
    decoded.sort_by_key(|v| format!("{:?}", field(v, "id")));
    let first = &decoded[0];
    assert_eq!(field(first, "id"), Value::Long(7));
    assert_eq!(
        field(first, "note"),
        Value::Union(1, Box::new(Value::String("gift".into())))
    );
    assert_eq!(field(first, "status"), Value::Enum(1, "PAID".into()));
    assert_eq!(field(first, "day"), Value::Date(19783));
    assert_eq!(
        field(first, "at"),
        Value::TimestampMillis(1_709_296_200_250)
    );
    assert_eq!(
        field(first, "amount"),
        Value::Decimal(apache_avro::Decimal::from(vec![0x04, 0xd2]))
    );
    assert_eq!(field(first, "raw"), Value::Bytes(vec![0, 1]));
    let second = &decoded[1];
    assert_eq!(
        field(second, "note"),
        Value::Union(0, Box::new(Value::Null))
    );
    assert_eq!(
        field(second, "rate"),
        Value::Union(2, Box::new(Value::String("high".into())))
    );
}

#[tokio::test]
async fn protobuf_and_json_schema_by_subject_and_id() {
    let test = "protobuf_and_json_schema_by_subject_and_id";
    let Some((url, kafka)) = registry_and_broker(test) else {
        return;
    };
    // A nested message from a local file, registered on first use...
    let topic = "schema-proto";
    let proto = vectors("orders.proto");
    let (code, _, stderr) = common::produce(
        &[
            "-b",
            &kafka.bootstrap,
            "-t",
            topic,
            "-q",
            "--value-serializer",
            "protobuf",
            "--value-schema",
            &proto,
            "--value-message",
            "Shipment.Parcel",
            "--schema-registry",
            url,
        ],
        "{\"label\":\"box\",\"grams\":1200}\n",
    );
    assert_eq!(code, 0, "{stderr}");
    let id = registry_get(url, &format!("/subjects/{topic}-value/versions/latest"))["id"]
        .as_u64()
        .unwrap() as u32;
    // ...then the same schema by its subject and by its id.
    let by_subject = format!("subject:{topic}-value:1");
    let by_id = format!("id:{id}");
    for source in [&by_subject, &by_id] {
        let (code, _, stderr) = common::produce(
            &[
                "-b",
                &kafka.bootstrap,
                "-t",
                topic,
                "-q",
                "--value-serializer",
                "protobuf",
                "--value-schema",
                source,
                "--value-message",
                "kprod.test.Shipment.Parcel",
                "--schema-registry",
                url,
            ],
            "{\"label\":\"box\",\"grams\":1200}\n",
        );
        assert_eq!(code, 0, "{source}: {stderr}");
    }
    let records = read_all(&kafka.bootstrap, topic);
    assert_eq!(records.len(), 3);
    for r in &records {
        let bytes = r.value.as_ref().unwrap();
        assert_eq!(framed_id(bytes), id);
        // Indexes [1, 0]: count 2, then 1 and 0, zigzag; then the message.
        assert_eq!(
            &bytes[5..],
            [0x04, 0x02, 0x00, 0x0a, 3, b'b', b'o', b'x', 0x10, 0xb0, 0x09]
        );
    }

    let topic = "schema-json";
    let schema = vectors("order.schema.json");
    let (code, _, stderr) = common::produce(
        &[
            "-b",
            &kafka.bootstrap,
            "-t",
            topic,
            "-q",
            "--key-serializer",
            "json-schema",
            "--key-schema",
            &schema,
            "--property",
            "parse.key=true",
            "--schema-registry",
            url,
        ],
        "{\"id\":1,\"item\":\"k\"}\tplain value\n",
    );
    assert_eq!(code, 0, "{stderr}");
    let id = registry_get(url, &format!("/subjects/{topic}-key/versions/latest"))["id"]
        .as_u64()
        .unwrap() as u32;
    let records = read_all(&kafka.bootstrap, topic);
    let key = records[0].key.as_ref().unwrap();
    assert_eq!(framed_id(key), id);
    assert_eq!(&key[5..], br#"{"id":1,"item":"k"}"#);
    assert_eq!(records[0].value.as_deref(), Some(&b"plain value"[..]));
}

#[test]
fn the_embedded_cluster_gets_an_embedded_registry() {
    let (code, events, stderr) = common::produce(
        &[
            "-t",
            "t",
            "--value-serializer",
            "avro",
            "--value-schema",
            &vectors("order.avsc"),
        ],
        "{\"id\":42,\"item\":\"book\"}\n",
    );
    assert_eq!(code, 0, "{stderr}");
    let notice = events
        .iter()
        .find(|e| {
            e["name"] == "notice"
                && e["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("embedded schema registry at http://127.0.0.1:")
        })
        .unwrap_or_else(|| panic!("no notice of the embedded registry: {events:?}"));
    assert!(notice["message"]
        .as_str()
        .unwrap()
        .contains("checks no compatibility"));
    assert_eq!(sent(&events), 1);
    let ok = events
        .iter()
        .find(|e| e["name"] == "producer_send_success")
        .is_some();
    assert!(ok, "{events:?}");
}

#[test]
fn an_invalid_record_names_its_field_and_nothing_is_sent() {
    // Raw mode needs no registry; the embedded cluster takes what is sent.
    let schema = vectors("order.avsc");
    let (code, events, _) = common::produce(
        &[
            "-t",
            "bad",
            "--value-serializer",
            "avro-raw",
            "--value-schema",
            &schema,
        ],
        "{\"id\":42}\n",
    );
    assert_ne!(code, 0);
    let error = events
        .iter()
        .find(|e| e["name"] == "input_error")
        .expect("an input_error");
    assert_eq!(
        error["message"],
        "the value does not fit the schema: $.item: required field missing"
    );
    assert_eq!(sent(&events), 0);
}

#[test]
fn an_unreachable_registry_is_named_and_nothing_is_sent() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, events, stderr) = common::produce(
        &[
            "-t",
            "t",
            "--value-serializer",
            "avro",
            "--value-schema",
            &vectors("order.avsc"),
            "-X",
            &format!("schema.registry.url={url}"),
        ],
        "{\"id\":1,\"item\":\"x\"}\n",
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!("the schema registry at {url} cannot be reached")),
        "{stderr}"
    );
    assert!(events.is_empty(), "{events:?}");
    // On a real cluster without a registry the framed serializer says what
    // it lacks (before any connection is tried).
    let (code, _, stderr) = common::produce(
        &[
            "-b",
            "127.0.0.1:1",
            "-t",
            "t",
            "--value-serializer",
            "avro",
            "--value-schema",
            &vectors("order.avsc"),
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("avro needs a schema registry"), "{stderr}");
}

#[test]
fn the_registrys_refusals_keep_its_words() {
    let test = "the_registrys_refusals_keep_its_words";
    let Some(url) = common::apicurio::shared(test) else {
        return;
    };
    let topic = "schema-compat";
    let first = vectors("order.avsc");
    let (code, _, stderr) = common::produce(
        &[
            "-t",
            topic,
            "--value-serializer",
            "avro",
            "--value-schema",
            &first,
            "--schema-registry",
            url,
        ],
        "{\"id\":1,\"item\":\"x\"}\n",
    );
    assert_eq!(code, 0, "{stderr}");
    let out = std::process::Command::new("curl")
        .args([
            "-fsS",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"compatibility":"BACKWARD"}"#,
            &format!("{url}/config/{topic}-value"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A required field added: BACKWARD refuses it.
    let dir = tempfile::tempdir().unwrap();
    let second = dir.path().join("order2.avsc");
    std::fs::write(
        &second,
        r#"{"type":"record","name":"Order","namespace":"kprod.test","fields":[{"name":"id","type":"int"},{"name":"item","type":"string"},{"name":"qty","type":"int"}]}"#,
    )
    .unwrap();
    let (code, events, stderr) = common::produce(
        &[
            "-t",
            topic,
            "--value-serializer",
            "avro",
            "--value-schema",
            second.to_str().unwrap(),
            "--schema-registry",
            url,
        ],
        "{\"id\":1,\"item\":\"x\",\"qty\":2}\n",
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!(
            "the schema registry refused the schema for {topic}-value as incompatible: "
        )),
        "{stderr}"
    );
    assert!(events.is_empty(), "{events:?}");
    let (code, _, stderr) = common::produce(
        &[
            "-t",
            topic,
            "--value-serializer",
            "avro",
            "--value-schema",
            "subject:no-such-subject",
            "--schema-registry",
            url,
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("the schema registry has no subject no-such-subject: "),
        "{stderr}"
    );
}

#[test]
fn a_framed_serializer_to_two_topics_is_refused_before_anything_is_sent() {
    // The schema id framed into a record belongs to one topic's subject.
    let (code, events, stderr) = common::produce(
        &[
            "-t",
            "payment,order",
            "--value-serializer",
            "avro",
            "--value-schema",
            &vectors("order.avsc"),
        ],
        "{\"id\":1,\"item\":\"x\"}\n",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("name one topic in -t"), "{stderr}");
    assert!(events.is_empty(), "{events:?}");
}

/// `--count` with a schema: `{schema}` draws a valid record each time, and
/// a template's generators fill JSON the schema then writes; confluent-kafka
/// reads every record back through the registry.
#[test]
fn count_templates_and_random_records_go_through_the_schema() {
    let test = "count_templates_and_random_records_go_through_the_schema";
    let Some(python) = confluent_python(test) else {
        return;
    };
    let Some((url, kafka)) = registry_and_broker(test) else {
        return;
    };
    let schema = vectors("order.avsc");
    for (topic, template) in [
        ("schema-count-random", "{schema}"),
        (
            "schema-count-template",
            "{\"id\":{seq},\"item\":\"{choice:book|lamp}\"}",
        ),
    ] {
        let (code, events, stderr) = common::produce(
            &[
                "-b",
                &kafka.bootstrap,
                "-t",
                topic,
                "-q",
                "--count",
                "200",
                "--value",
                template,
                "--value-serializer",
                "avro",
                "--value-schema",
                &schema,
                "--schema-registry",
                url,
            ],
            "",
        );
        assert_eq!(code, 0, "{template}: {stderr}");
        assert_eq!(sent(&events), 200, "{events:?}");
        let values: Vec<Vec<u8>> = read_all(&kafka.bootstrap, topic)
            .into_iter()
            .filter_map(|r| r.value)
            .collect();
        assert_eq!(values.len(), 200);
        let decoded = confluent_decoded(&python, url, "avro", topic, &values);
        assert_eq!(decoded.len(), 200);
        for d in &decoded {
            assert!(d["id"].is_i64() && d["item"].is_string(), "{d}");
        }
        if template != "{schema}" {
            let mut ids: Vec<i64> = decoded.iter().map(|d| d["id"].as_i64().unwrap()).collect();
            ids.sort();
            assert_eq!(ids, (0..200).collect::<Vec<i64>>());
        } else {
            let distinct: std::collections::HashSet<String> =
                decoded.iter().map(|d| d.to_string()).collect();
            assert!(
                distinct.len() > 100,
                "records drawn anew: {}",
                distinct.len()
            );
        }
    }
}

/// The registry over HTTPS, its CA given as the Java serializers take it
/// (schema.registry.ssl.truststore.*, in a properties file as it stands):
/// records are framed with the id the registry gave. Without the CA the
/// run stops before anything is sent, naming the certificate problem.
#[test]
fn the_registry_over_tls_with_the_java_serializers_truststore_settings() {
    let test = "the_registry_over_tls_with_the_java_serializers_truststore_settings";
    let Some((https, ca)) = common::apicurio::shared_tls(test) else {
        return;
    };
    let Some((url, kafka)) = registry_and_broker(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("client.properties");
    std::fs::write(
        &props,
        format!(
            "schema.registry.url={https}\nschema.registry.ssl.truststore.location={ca}\nschema.registry.ssl.truststore.type=PEM\n"
        ),
    )
    .unwrap();
    let topic = "schema-over-tls";
    let (code, _, stderr) = common::produce(
        &[
            "-b",
            &kafka.bootstrap,
            "-t",
            topic,
            "--producer.config",
            props.to_str().unwrap(),
            "--value-serializer",
            "avro",
            "--value-schema",
            &vectors("order.avsc"),
        ],
        "{\"id\":42,\"item\":\"book\"}\n",
    );
    assert_eq!(code, 0, "{stderr}");
    let values: Vec<Vec<u8>> = read_all(&kafka.bootstrap, topic)
        .into_iter()
        .filter_map(|r| r.value)
        .collect();
    assert_eq!(values.len(), 1);
    let latest = registry_get(url, &format!("/subjects/{topic}-value/versions/latest"));
    assert_eq!(framed_id(&values[0]) as u64, latest["id"].as_u64().unwrap());

    // The system's CAs do not know the registry's.
    let (code, events, stderr) = common::produce(
        &[
            "-b",
            &kafka.bootstrap,
            "-t",
            topic,
            "--schema-registry",
            &https,
            "--value-serializer",
            "avro",
            "--value-schema",
            &vectors("order.avsc"),
        ],
        "{\"id\":42,\"item\":\"book\"}\n",
    );
    assert_eq!(code, 2);
    assert!(events.is_empty(), "{events:?}");
    assert!(
        stderr.contains("cannot be reached") && stderr.to_lowercase().contains("certificate"),
        "{stderr}"
    );
}

/// A registry that refuses the credentials (HTTP 401, as Confluent's
/// answers a wrong basic.auth.user.info) is told in its own words, and
/// nothing is sent.
#[test]
fn a_registry_that_refuses_the_credentials_is_named_and_nothing_is_sent() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let kept = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut buf = [0u8; 8192];
            let n = s.read(&mut buf).unwrap_or(0);
            kept.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
            let body = r#"{"error_code":401,"message":"Unauthorized"}"#;
            let _ = write!(
                s,
                "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nWWW-Authenticate: Basic realm=\"registry\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let (code, events, stderr) = common::produce(
        &[
            "-t",
            "schema-unauthorized",
            "--schema-registry",
            &format!("http://127.0.0.1:{port}"),
            "-X",
            "basic.auth.user.info=alice:wrong",
            "--value-serializer",
            "avro",
            "--value-schema",
            &vectors("order.avsc"),
        ],
        "{\"id\":42,\"item\":\"book\"}\n",
    );
    assert_eq!(code, 2);
    assert!(events.is_empty(), "{events:?}");
    assert!(
        stderr.contains("the schema registry refused the credentials (HTTP 401): Unauthorized"),
        "{stderr}"
    );
    // The credentials went as basic auth: alice:wrong.
    assert!(
        seen.lock()
            .unwrap()
            .to_ascii_lowercase()
            .contains("authorization: basic ywxpy2u6d3jvbmc="),
        "{}",
        seen.lock().unwrap()
    );
}
