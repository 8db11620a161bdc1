//! kprod's embedded schema registry: the part of Confluent's REST API that
//! serializers and deserializers use (register, look up, by subject and
//! version, by id), in memory on loopback, so records written on the
//! embedded cluster can be read back by any Confluent-API client with
//! nothing installed. It checks no compatibility, and says so at /config.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response};
use serde_json::{json, Value};

/// A running embedded registry; it stops when dropped.
pub struct EmbeddedRegistry {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for EmbeddedRegistry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Default)]
struct Store {
    /// Each schema once, by id - 1: its text and schemaType.
    schemas: Vec<(String, String)>,
    /// Each subject's versions, as schema ids.
    subjects: BTreeMap<String, Vec<u32>>,
}

impl EmbeddedRegistry {
    pub async fn start() -> std::io::Result<EmbeddedRegistry> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let store = Arc::new(Mutex::new(Store::default()));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let store = store.clone();
                        async move { Ok::<_, Infallible>(handle(&store, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(EmbeddedRegistry { url, task })
    }

    /// Its base URL, as a client's schema.registry.url.
    pub fn url(&self) -> &str {
        &self.url
    }
}

fn reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

fn refuse(status: u16, code: u32, message: String) -> Response<Full<Bytes>> {
    reply(status, json!({"error_code": code, "message": message}))
}

async fn handle(store: &Mutex<Store>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path: Vec<String> = req
        .uri()
        .path()
        .split('/')
        .filter(|p| !p.is_empty())
        .map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return refuse(400, 400, e.to_string()),
    };
    // The schema a POST gives, or why the body is refused (42201).
    let given = || -> Result<(String, String), String> {
        let v: Value = serde_json::from_slice(&body).map_err(|e| format!("Invalid schema: {e}"))?;
        let schema = v["schema"]
            .as_str()
            .ok_or_else(|| "Invalid schema: no schema given".to_string())?;
        let kind = v["schemaType"]
            .as_str()
            .unwrap_or("AVRO")
            .to_ascii_uppercase();
        Ok((schema.to_string(), kind))
    };
    let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    let version_of = |s: &Store, subject: &str, version: u32, id: u32| {
        let (schema, kind) = &s.schemas[id as usize - 1];
        json!({"subject": subject, "version": version, "id": id, "schema": schema, "schemaType": kind})
    };
    match (&method, segments.as_slice()) {
        (&Method::GET, ["subjects"]) => reply(200, json!(s.subjects.keys().collect::<Vec<_>>())),
        (&Method::GET, ["config"]) => reply(200, json!({"compatibilityLevel": "NONE"})),
        (&Method::GET, ["schemas", "ids", id]) => match id
            .parse::<usize>()
            .ok()
            .and_then(|i| s.schemas.get(i.wrapping_sub(1)))
        {
            Some((schema, kind)) => reply(200, json!({"schema": schema, "schemaType": kind})),
            None => refuse(404, 40403, format!("Schema {id} not found")),
        },
        (&Method::GET, ["subjects", subject, "versions"]) => match s.subjects.get(*subject) {
            Some(v) => reply(200, json!((1..=v.len()).collect::<Vec<_>>())),
            None => refuse(404, 40401, format!("Subject '{subject}' not found.")),
        },
        (&Method::GET, ["subjects", subject, "versions", version]) => {
            let Some(versions) = s.subjects.get(*subject) else {
                return refuse(404, 40401, format!("Subject '{subject}' not found."));
            };
            let n = match *version {
                "latest" | "-1" => versions.len(),
                v => v.parse().unwrap_or(0),
            };
            match n.checked_sub(1).and_then(|i| versions.get(i)) {
                Some(&id) => reply(200, version_of(&s, subject, n as u32, id)),
                None => refuse(404, 40402, format!("Version {version} not found.")),
            }
        }
        (&Method::POST, ["subjects", subject, "versions"]) => {
            let (schema, kind) = match given() {
                Ok(g) => g,
                Err(m) => return refuse(422, 42201, m),
            };
            let id = match s
                .schemas
                .iter()
                .position(|(t, k)| *t == schema && *k == kind)
            {
                Some(i) => i as u32 + 1,
                None => {
                    s.schemas.push((schema, kind));
                    s.schemas.len() as u32
                }
            };
            let versions = s.subjects.entry(subject.to_string()).or_default();
            if !versions.contains(&id) {
                versions.push(id);
            }
            reply(200, json!({"id": id}))
        }
        (&Method::POST, ["subjects", subject]) => {
            let (schema, kind) = match given() {
                Ok(g) => g,
                Err(m) => return refuse(422, 42201, m),
            };
            let Some(versions) = s.subjects.get(*subject) else {
                return refuse(404, 40401, format!("Subject '{subject}' not found."));
            };
            let found = versions.iter().enumerate().find(|(_, &id)| {
                let (t, k) = &s.schemas[id as usize - 1];
                *t == schema && *k == kind
            });
            match found {
                Some((i, &id)) => reply(200, version_of(&s, subject, i as u32 + 1, id)),
                None => refuse(404, 40403, "Schema not found".into()),
            }
        }
        _ => refuse(
            404,
            404,
            format!(
                "kprod's embedded registry does not serve {method} /{}",
                path.join("/")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::registry::{resolve, Config, Registry, RegistryError, Source, Want};
    use crate::schema::Format;

    fn want(source: &Source) -> Want<'_> {
        Want {
            format: Format::Avro,
            raw: false,
            source,
            topic: "orders",
            is_key: false,
            message: None,
        }
    }

    /// A schema registered through it is found again by subject and by id,
    /// as kprod's own client (a Confluent-API client) asks.
    #[tokio::test]
    async fn serves_what_serializers_ask() {
        let embedded = EmbeddedRegistry::start().await.unwrap();
        let client = Registry::new(embedded.url(), None).unwrap();
        let file = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/schemas/order.avsc"
        );
        let source = Source::File(file.into());

        let config = Config::default();
        let registered = resolve(&want(&source), Some(&client), &config)
            .await
            .unwrap();
        assert_eq!(registered.origin.subject.as_deref(), Some("orders-value"));
        let id = registered.origin.id.unwrap();
        // The same schema again: the same id, no new version.
        let again = resolve(&want(&source), Some(&client), &config)
            .await
            .unwrap();
        assert_eq!(again.origin.id, Some(id));
        let by_subject = Source::Subject {
            name: "orders-value".into(),
            version: None,
        };
        let e = resolve(&want(&by_subject), Some(&client), &config)
            .await
            .unwrap();
        assert_eq!((e.origin.version, e.origin.id), (Some(1), Some(id)));
        let bytes = e.encode(br#"{"id":42,"item":"book"}"#).unwrap();
        assert_eq!(bytes[..5], [0, 0, 0, 0, id as u8]);
        let id_source = Source::Id(id);
        let by_id = resolve(&want(&id_source), Some(&client), &config)
            .await
            .unwrap();
        assert_eq!(by_id.encode(br#"{"id":42,"item":"book"}"#).unwrap(), bytes);
        let lookup = Config {
            auto_register: false,
            ..Config::default()
        };
        assert_eq!(
            resolve(&want(&source), Some(&client), &lookup)
                .await
                .unwrap()
                .origin
                .version,
            Some(1)
        );
        let missing = Source::Subject {
            name: "nope".into(),
            version: None,
        };
        let err = resolve(&want(&missing), Some(&client), &config)
            .await
            .unwrap_err();
        assert!(matches!(err, RegistryError::NoSubject { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "the schema registry has no subject nope: Subject 'nope' not found."
        );
    }
}
