//! The Java client's security settings, as a client.properties file has them,
//! turned into the librdkafka properties that do the same: JAAS logins become
//! a SASL username and password (or OAuth client credentials), PKCS12 and
//! PEM truststores become CA certificates, keystores become a client
//! certificate. What librdkafka cannot do is refused with what to do instead,
//! or, where it changes nothing a user relies on, said in a note.

use std::path::Path;

use thiserror::Error;

/// The Java names this module translates; librdkafka refuses or does not
/// know them, so they never reach it as they are.
pub const JAVA_NAMES: &[&str] = &[
    "sasl.jaas.config",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.type",
    "ssl.truststore.certificates",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.keystore.type",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
    "sasl.login.callback.handler.class",
];

/// Java settings with no librdkafka counterpart whose absence changes no
/// outcome a user relies on: accepted, and each named in a note.
const NOTED: &[(&str, &str)] = &[
    (
        "ssl.protocol",
        "librdkafka lets OpenSSL negotiate the newest TLS both sides speak (1.2 or 1.3)",
    ),
    (
        "ssl.enabled.protocols",
        "librdkafka lets OpenSSL negotiate the newest TLS both sides speak (1.2 or 1.3)",
    ),
    (
        "ssl.keymanager.algorithm",
        "a Java security-provider choice; OpenSSL has no such choice",
    ),
    (
        "ssl.trustmanager.algorithm",
        "a Java security-provider choice; OpenSSL has no such choice",
    ),
    (
        "ssl.secure.random.implementation",
        "a Java security-provider choice; OpenSSL seeds itself",
    ),
    (
        "ssl.engine.factory.class",
        "a Java class cannot run inside librdkafka",
    ),
    (
        "sasl.kerberos.service.name",
        "kprod is built without Kerberos (GSSAPI)",
    ),
];

/// What a Java security setting becomes in librdkafka, as the settings
/// pane tells it.
pub fn becomes(name: &str) -> Option<&'static str> {
    Some(match name {
        "sasl.jaas.config" => "sasl.username + sasl.password (Plain, Scram login), or sasl.oauthbearer.method=oidc + client.id + client.secret + scope (OAuthBearer login)",
        "ssl.truststore.location" | "ssl.truststore.password" | "ssl.truststore.type" => "ssl.ca.pem, the certificates read from a PKCS12 truststore; ssl.ca.location for a PEM one",
        "ssl.truststore.certificates" => "ssl.ca.pem",
        "ssl.keystore.location" | "ssl.keystore.password" | "ssl.keystore.type" => "ssl.keystore.location + ssl.keystore.password (PKCS12); ssl.certificate.location + ssl.key.location (PEM)",
        "ssl.keystore.key" => "ssl.key.pem",
        "ssl.keystore.certificate.chain" => "ssl.certificate.pem",
        "ssl.key.password" => "ssl.key.password (for a PEM key)",
        "ssl.endpoint.identification.algorithm" => "ssl.endpoint.identification.algorithm (https, or none for an empty value)",
        "sasl.login.callback.handler.class" => "librdkafka's own OIDC token fetch (sasl.oauthbearer.method=oidc)",
        other => return NOTED.iter().find(|(n, _)| *n == other).map(|(_, why)| *why),
    })
}

/// Whether `name` is a Java security setting kprod takes and translates.
pub fn is_java_name(name: &str) -> bool {
    JAVA_NAMES.contains(&name) || NOTED.iter().any(|(n, _)| *n == name)
}

/// Why a security setting cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecurityError {
    #[error("sasl.jaas.config: {0}")]
    Jaas(String),
    #[error("sasl.jaas.config uses {module}, which kprod cannot log in with: {why}")]
    LoginModule { module: String, why: &'static str },
    #[error("{name}: cannot read {path}: {why}")]
    Unreadable {
        name: &'static str,
        path: String,
        why: String,
    },
    #[error("{name}: {path} is a JKS store, which librdkafka cannot read; convert it once with: keytool -importkeystore -srckeystore {path} -destkeystore {path}.p12 -deststoretype PKCS12, then point {name} at {path}.p12 with {kind}.type=PKCS12")]
    Jks {
        name: &'static str,
        kind: &'static str,
        path: String,
    },
    #[error("{name}: {path} is not a PKCS12 or PEM store{detail}")]
    NotAStore {
        name: &'static str,
        path: String,
        detail: String,
    },
    #[error("{name}: {path} could not be opened with ssl.{kind}.password: {why}")]
    BadStorePassword {
        name: &'static str,
        kind: &'static str,
        path: String,
        why: String,
    },
    #[error("ssl.truststore.location: {path} holds no certificate to trust")]
    EmptyTruststore { path: String },
    #[error("{name}: '{value}' is not valid: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
}

/// One librdkafka property made from Java settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The Java setting(s) it comes from, as the settings pane names them.
    pub from: &'static str,
    pub to: &'static str,
    pub value: String,
    /// What is shown instead of the value: a summary for a PEM of many
    /// lines; None for a secret, which is masked.
    pub shown: Option<String>,
}

/// What a set of Java security settings becomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translation {
    pub properties: Vec<Mapped>,
    /// Java settings accepted with no librdkafka counterpart, and why that
    /// is harmless.
    pub notes: Vec<String>,
}

impl Translation {
    fn put(&mut self, from: &'static str, to: &'static str, value: String, shown: Option<String>) {
        self.properties.push(Mapped {
            from,
            to,
            value,
            shown,
        });
    }

    fn secret(&mut self, from: &'static str, to: &'static str, value: String) {
        self.put(from, to, value, None);
    }

    fn plain(&mut self, from: &'static str, to: &'static str, value: &str) {
        self.put(from, to, value.to_string(), Some(value.to_string()));
    }
}

/// A JAAS login as sasl.jaas.config writes it:
/// `org.example.LoginModule required key="value" ...;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub module: String,
    pub options: Vec<(String, String)>,
}

impl Login {
    fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one JAAS login entry, as Java's JAAS parser does: a class name, a
/// control flag, then `key=value` options (values in double quotes may hold
/// spaces, `\"` and `\\`), ended by `;`.
pub fn parse_jaas(text: &str) -> Result<Login, SecurityError> {
    let err = |m: String| SecurityError::Jaas(m);
    let mut rest = text.trim();
    let word = |s: &str| -> usize {
        s.find(|c: char| c.is_whitespace() || c == '=' || c == ';' || c == '"')
            .unwrap_or(s.len())
    };
    let end = word(rest);
    let module = &rest[..end];
    if module.is_empty() {
        return Err(err("a login module class is needed first, as in org.apache.kafka.common.security.plain.PlainLoginModule required username=\"...\" password=\"...\";".into()));
    }
    rest = rest[end..].trim_start();
    let end = word(rest);
    let flag = &rest[..end];
    if !["required", "requisite", "sufficient", "optional"]
        .contains(&flag.to_ascii_lowercase().as_str())
    {
        return Err(err(format!(
            "after {module} comes a control flag (required, requisite, sufficient or optional), not '{flag}'"
        )));
    }
    rest = rest[end..].trim_start();
    let mut options = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix(';') {
            if !after.trim().is_empty() {
                // What follows may hold a password: it is not repeated.
                return Err(err(
                    "only one login is taken, but more follows the first ';'".into(),
                ));
            }
            break;
        }
        if rest.is_empty() {
            return Err(err("the login must end with ';'".into()));
        }
        let end = word(rest);
        let key = &rest[..end];
        if key.is_empty() {
            return Err(err(format!(
                "an option name is needed after {} option(s)",
                options.len()
            )));
        }
        rest = rest[end..].trim_start();
        rest = rest
            .strip_prefix('=')
            .ok_or_else(|| err(format!("option {key} needs '=' and a value")))?
            .trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut closed = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, e)) => value.push(e),
                        None => break,
                    },
                    '"' => {
                        closed = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let Some(after) = closed else {
                return Err(err(format!("the value of {key} has no closing '\"'")));
            };
            rest = quoted[after..].trim_start();
            value
        } else {
            let end = word(rest);
            let value = rest[..end].to_string();
            rest = rest[end..].trim_start();
            value
        };
        options.push((key.to_string(), value));
    }
    Ok(Login {
        module: module.to_string(),
        options,
    })
}

/// A store's contents, told by its first bytes rather than by its declared
/// type: Kafka's default type is JKS, yet keytool has written PKCS12 files
/// under that name since Java 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jks,
    Pkcs12,
    Pem,
}

fn format_of(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFE, 0xED, 0xFE, 0xED]) || bytes.starts_with(&[0xCE, 0xCE, 0xCE, 0xCE])
    {
        Some(Format::Jks)
    } else if bytes.first() == Some(&0x30) {
        Some(Format::Pkcs12)
    } else if String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).contains("-----BEGIN") {
        Some(Format::Pem)
    } else {
        None
    }
}

/// Stores larger than this are not key or trust stores.
const STORE_MAX: u64 = 16 << 20;

fn read_store(name: &'static str, path: &str) -> Result<Vec<u8>, SecurityError> {
    let unreadable = |why: String| SecurityError::Unreadable {
        name,
        path: path.to_string(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(unreadable("not a regular file".into()));
    }
    if meta.len() > STORE_MAX {
        return Err(unreadable(format!(
            "{} bytes is too large for a store",
            meta.len()
        )));
    }
    std::fs::read(Path::new(path)).map_err(|e| unreadable(e.to_string()))
}

/// What can be checked of one Java security setting without reading a
/// file: the JAAS login's syntax and module, the host-name check's value.
/// Stores are read when a client is made (`translate`).
pub fn check_value(name: &str, value: &str) -> Result<(), SecurityError> {
    let value = value.trim();
    match name {
        "sasl.jaas.config"
        | "sasl.login.callback.handler.class"
        | "ssl.endpoint.identification.algorithm"
            if !value.is_empty() || name == "ssl.endpoint.identification.algorithm" =>
        {
            translate([(name, value)]).map(drop)
        }
        _ => Ok(()),
    }
}

/// Translates the Java security settings among `settings` (name, value);
/// other settings are left alone.
pub fn translate<'a>(
    settings: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Translation, SecurityError> {
    let mut given = std::collections::BTreeMap::new();
    let mut out = Translation::default();
    for (name, value) in settings {
        if let Some((n, why)) = NOTED.iter().find(|(n, _)| *n == name) {
            out.notes
                .push(format!("{n}={value} is not passed on: {why}"));
        } else if JAVA_NAMES.contains(&name) {
            given.insert(name, value.trim());
        }
    }
    let get = |name: &str| given.get(name).copied().filter(|v| !v.is_empty());

    if let Some(jaas) = get("sasl.jaas.config") {
        let login = parse_jaas(jaas)?;
        let class = login.module.rsplit('.').next().unwrap_or(&login.module);
        match class {
            "PlainLoginModule" | "ScramLoginModule" => {
                for (key, to) in [("username", "sasl.username"), ("password", "sasl.password")] {
                    let value = login.option(key).ok_or_else(|| {
                        SecurityError::Jaas(format!("{class} needs {key}=\"...\""))
                    })?;
                    if key == "password" {
                        out.secret("sasl.jaas.config", to, value.to_string());
                    } else {
                        out.plain("sasl.jaas.config", to, value);
                    }
                }
            }
            "OAuthBearerLoginModule" => match login.option("clientId") {
                Some(id) => {
                    out.plain("sasl.jaas.config", "sasl.oauthbearer.method", "oidc");
                    out.plain("sasl.jaas.config", "sasl.oauthbearer.client.id", id);
                    let secret = login.option("clientSecret").ok_or_else(|| {
                        SecurityError::Jaas("OAuthBearerLoginModule with clientId needs clientSecret=\"...\"".into())
                    })?;
                    out.secret("sasl.jaas.config", "sasl.oauthbearer.client.secret", secret.to_string());
                    if let Some(scope) = login.option("scope") {
                        out.plain("sasl.jaas.config", "sasl.oauthbearer.scope", scope);
                    }
                }
                None => {
                    return Err(SecurityError::LoginModule {
                        module: login.module.clone(),
                        why: "without clientId and clientSecret (an unsecured or callback-made token) there is no token kprod can fetch; give the client credentials and sasl.oauthbearer.token.endpoint.url",
                    })
                }
            },
            "Krb5LoginModule" => {
                return Err(SecurityError::LoginModule {
                    module: login.module.clone(),
                    why: "kprod is built without Kerberos (GSSAPI); use SCRAM, PLAIN or OAUTHBEARER",
                })
            }
            _ => {
                return Err(SecurityError::LoginModule {
                    module: login.module.clone(),
                    why: "only Kafka's PlainLoginModule, ScramLoginModule and OAuthBearerLoginModule are understood",
                })
            }
        }
    }
    if let Some(class) = get("sasl.login.callback.handler.class") {
        // The Java client's OIDC handler is what librdkafka's oidc method does.
        if !class.ends_with("OAuthBearerLoginCallbackHandler") {
            return Err(SecurityError::LoginModule {
                module: class.to_string(),
                why: "a Java callback handler cannot run inside librdkafka; Kafka's OAuthBearerLoginCallbackHandler is the one kprod does itself",
            });
        }
    }

    if let Some(pem) = get("ssl.truststore.certificates") {
        let count = pem.matches("-----BEGIN CERTIFICATE-----").count();
        out.put(
            "ssl.truststore.certificates",
            "ssl.ca.pem",
            pem.to_string(),
            Some(format!("({count} certificate(s) given inline)")),
        );
    } else if let Some(path) = get("ssl.truststore.location") {
        let name = "ssl.truststore.location";
        let bytes = read_store(name, path)?;
        match format_of(&bytes) {
            Some(Format::Jks) => {
                return Err(SecurityError::Jks {
                    name,
                    kind: "ssl.truststore",
                    path: path.to_string(),
                })
            }
            Some(Format::Pem) => out.plain(name, "ssl.ca.location", path),
            Some(Format::Pkcs12) => {
                let password = get("ssl.truststore.password").unwrap_or("");
                let (pem, count) = truststore_pem(&bytes, password).map_err(|why| {
                    SecurityError::BadStorePassword {
                        name,
                        kind: "truststore",
                        path: path.to_string(),
                        why,
                    }
                })?;
                if count == 0 {
                    return Err(SecurityError::EmptyTruststore {
                        path: path.to_string(),
                    });
                }
                out.put(
                    "ssl.truststore.location + ssl.truststore.password",
                    "ssl.ca.pem",
                    pem,
                    Some(format!("({count} certificate(s) read from {path})")),
                );
            }
            None => {
                return Err(SecurityError::NotAStore {
                    name,
                    path: path.to_string(),
                    detail: String::new(),
                })
            }
        }
    }

    let key_password = get("ssl.key.password");
    if let (Some(key), Some(chain)) = (
        get("ssl.keystore.key"),
        get("ssl.keystore.certificate.chain"),
    ) {
        out.secret("ssl.keystore.key", "ssl.key.pem", key.to_string());
        let count = chain.matches("-----BEGIN CERTIFICATE-----").count();
        out.put(
            "ssl.keystore.certificate.chain",
            "ssl.certificate.pem",
            chain.to_string(),
            Some(format!("({count} certificate(s) given inline)")),
        );
        if let Some(p) = key_password {
            out.secret("ssl.key.password", "ssl.key.password", p.to_string());
        }
    } else if let Some(path) = get("ssl.keystore.location") {
        let name = "ssl.keystore.location";
        let bytes = read_store(name, path)?;
        match format_of(&bytes) {
            Some(Format::Jks) => {
                return Err(SecurityError::Jks {
                    name,
                    kind: "ssl.keystore",
                    path: path.to_string(),
                })
            }
            Some(Format::Pkcs12) => {
                let password = get("ssl.keystore.password").unwrap_or("");
                // librdkafka opens the store with one password; a key under
                // another would fail there with a less helpful message.
                keystore_opens(&bytes, password).map_err(|why| {
                    SecurityError::BadStorePassword {
                        name,
                        kind: "keystore",
                        path: path.to_string(),
                        why,
                    }
                })?;
                out.plain(name, "ssl.keystore.location", path);
                out.secret(
                    "ssl.keystore.password",
                    "ssl.keystore.password",
                    password.to_string(),
                );
            }
            // A PEM keystore file holds the key and its certificates.
            Some(Format::Pem) => {
                out.plain(name, "ssl.certificate.location", path);
                out.plain(name, "ssl.key.location", path);
                if let Some(p) = key_password {
                    out.secret("ssl.key.password", "ssl.key.password", p.to_string());
                }
            }
            None => {
                return Err(SecurityError::NotAStore {
                    name,
                    path: path.to_string(),
                    detail: String::new(),
                })
            }
        }
    }

    if let Some(value) = given.get("ssl.endpoint.identification.algorithm").copied() {
        // Java turns host-name checking off with an empty value.
        let to = match value.to_ascii_lowercase().as_str() {
            "" => "none",
            "https" => "https",
            _ => {
                return Err(SecurityError::Invalid {
                    name: "ssl.endpoint.identification.algorithm",
                    value: value.to_string(),
                    reason: "https (check the broker's host name) or empty (do not)",
                })
            }
        };
        out.plain(
            "ssl.endpoint.identification.algorithm",
            "ssl.endpoint.identification.algorithm",
            to,
        );
    }
    Ok(out)
}

/// TLS for an HTTP client (the schema registry's), from the same Java
/// settings a Kafka client takes: the CAs to trust, the client's own
/// certificate and key, whether host names are checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpTls {
    /// PEM certificates; none: the system's.
    pub roots: Option<Vec<u8>>,
    /// The certificate chain and its unencrypted key, as PEM.
    pub identity: Option<Vec<u8>>,
    pub check_host: bool,
}

/// `translate`'s work for an HTTP client, which takes PEM only: PKCS12
/// stores and encrypted keys are opened here.
pub fn http_tls<'a>(
    settings: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<HttpTls, SecurityError> {
    let t = translate(settings)?;
    let get = |to: &str| {
        t.properties
            .iter()
            .find(|m| m.to == to)
            .map(|m| m.value.as_str())
    };
    let read = |name: &'static str, path: &str| read_store(name, path);
    let mut out = HttpTls {
        check_host: get("ssl.endpoint.identification.algorithm") != Some("none"),
        ..HttpTls::default()
    };
    if let Some(pem) = get("ssl.ca.pem") {
        out.roots = Some(pem.as_bytes().to_vec());
    } else if let Some(path) = get("ssl.ca.location") {
        out.roots = Some(read("ssl.truststore.location", path)?);
    }
    let key_password = get("ssl.key.password");
    let unlocked = |name: &'static str, path: &str, pem: &[u8]| -> Result<Vec<u8>, SecurityError> {
        let Some(password) = key_password else {
            return Ok(pem.to_vec());
        };
        // The key in the PEM opened with ssl.key.password, the
        // certificates kept as they are.
        let bad = |why: String| SecurityError::BadStorePassword {
            name,
            kind: "key",
            path: path.to_string(),
            why,
        };
        let key = openssl::pkey::PKey::private_key_from_pem_passphrase(pem, password.as_bytes())
            .map_err(|e| bad(e.to_string()))?;
        let mut out = key
            .private_key_to_pem_pkcs8()
            .map_err(|e| bad(e.to_string()))?;
        for cert in openssl::x509::X509::stack_from_pem(pem).map_err(|e| bad(e.to_string()))? {
            out.extend(cert.to_pem().map_err(|e| bad(e.to_string()))?);
        }
        Ok(out)
    };
    if let (Some(key), Some(chain)) = (get("ssl.key.pem"), get("ssl.certificate.pem")) {
        let both = format!("{chain}\n{key}");
        out.identity = Some(unlocked("ssl.keystore.key", "(inline)", both.as_bytes())?);
    } else if let Some(path) = get("ssl.keystore.location") {
        let name = "ssl.keystore.location";
        let bytes = read(name, path)?;
        let password = get("ssl.keystore.password").unwrap_or("");
        out.identity = Some(keystore_pem(&bytes, password).map_err(|why| {
            SecurityError::BadStorePassword {
                name,
                kind: "keystore",
                path: path.to_string(),
                why,
            }
        })?);
    } else if let Some(path) = get("ssl.certificate.location") {
        let name = "ssl.keystore.location";
        out.identity = Some(unlocked(name, path, &read(name, path)?)?);
    }
    Ok(out)
}

/// A PKCS12 keystore's key and certificates, as PEM.
fn keystore_pem(der: &[u8], password: &str) -> Result<Vec<u8>, String> {
    let p12 = openssl::pkcs12::Pkcs12::from_der(der).map_err(|e| e.to_string())?;
    let parsed = p12.parse2(password).map_err(|e| e.to_string())?;
    let (Some(key), Some(cert)) = (parsed.pkey, parsed.cert) else {
        return Err("it holds no private key with its certificate".into());
    };
    let mut out = key.private_key_to_pem_pkcs8().map_err(|e| e.to_string())?;
    out.extend(cert.to_pem().map_err(|e| e.to_string())?);
    for c in parsed.ca.into_iter().flatten() {
        out.extend(c.to_pem().map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// The certificates a PKCS12 truststore holds, as PEM, and how many.
fn truststore_pem(der: &[u8], password: &str) -> Result<(String, usize), String> {
    let p12 = openssl::pkcs12::Pkcs12::from_der(der).map_err(|e| e.to_string())?;
    let parsed = p12.parse2(password).map_err(|e| e.to_string())?;
    let mut pem = String::new();
    let mut count = 0;
    let certs = parsed.ca.into_iter().flatten().chain(parsed.cert);
    for cert in certs {
        let text = cert.to_pem().map_err(|e| e.to_string())?;
        pem.push_str(&String::from_utf8_lossy(&text));
        count += 1;
    }
    Ok((pem, count))
}

/// Whether a PKCS12 keystore opens with `password` and holds a key.
fn keystore_opens(der: &[u8], password: &str) -> Result<(), String> {
    let p12 = openssl::pkcs12::Pkcs12::from_der(der).map_err(|e| e.to_string())?;
    let parsed = p12.parse2(password).map_err(|e| e.to_string())?;
    match (parsed.pkey, parsed.cert) {
        (Some(_), Some(_)) => Ok(()),
        _ => Err("it holds no private key with its certificate".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::stack::Stack;
    use openssl::x509::{X509NameBuilder, X509};

    fn cert(cn: &str) -> (X509, PKey<Private>) {
        let key = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", cn).unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        (b.build(), key)
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn value<'a>(t: &'a Translation, to: &str) -> Option<&'a str> {
        t.properties
            .iter()
            .find(|m| m.to == to)
            .map(|m| m.value.as_str())
    }

    #[test]
    fn a_jaas_login_is_read_as_java_reads_it() {
        let login = parse_jaas(
            r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="p a\"ss";"#,
        )
        .unwrap();
        assert_eq!(
            login.module,
            "org.apache.kafka.common.security.scram.ScramLoginModule"
        );
        assert_eq!(login.option("username"), Some("alice"));
        assert_eq!(login.option("password"), Some("p a\"ss"));
        // Unquoted values and no spaces around '=' are Java's too.
        let login = parse_jaas("x.PlainLoginModule REQUIRED username=bob password=pw;").unwrap();
        assert_eq!(login.option("password"), Some("pw"));
        for (bad, says) in [
            ("", "login module class"),
            ("x.PlainLoginModule username=\"a\";", "control flag"),
            (
                "x.PlainLoginModule required username=\"a\"",
                "must end with ';'",
            ),
            ("x.PlainLoginModule required username=\"a;", "no closing"),
            ("x.PlainLoginModule required username;", "needs '='"),
            ("a.B required; c.D required;", "only one login"),
        ] {
            let e = parse_jaas(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn plain_and_scram_logins_become_a_sasl_username_and_masked_password() {
        let t = translate([(
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cret";"#,
        )])
        .unwrap();
        assert_eq!(value(&t, "sasl.username"), Some("alice"));
        assert_eq!(value(&t, "sasl.password"), Some("s3cret"));
        let password = t
            .properties
            .iter()
            .find(|m| m.to == "sasl.password")
            .unwrap();
        assert_eq!(password.shown, None, "a secret is masked");
        let e = translate([(
            "sasl.jaas.config",
            "a.ScramLoginModule required username=\"x\";",
        )])
        .unwrap_err();
        assert!(e.to_string().contains("needs password"), "{e}");
        let e = translate([(
            "sasl.jaas.config",
            "com.sun.security.auth.module.Krb5LoginModule required;",
        )])
        .unwrap_err();
        assert!(e.to_string().contains("Kerberos"), "{e}");
    }

    #[test]
    fn oauth_client_credentials_become_librdkafkas_oidc() {
        let t = translate([(
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="kprod" clientSecret="xyz" scope="produce";"#,
        )])
        .unwrap();
        assert_eq!(value(&t, "sasl.oauthbearer.method"), Some("oidc"));
        assert_eq!(value(&t, "sasl.oauthbearer.client.id"), Some("kprod"));
        assert_eq!(value(&t, "sasl.oauthbearer.client.secret"), Some("xyz"));
        assert_eq!(value(&t, "sasl.oauthbearer.scope"), Some("produce"));
    }

    #[test]
    fn a_pkcs12_truststore_becomes_the_ca_pem_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, _) = cert("test ca");
        let mut cas = Stack::new().unwrap();
        cas.push(ca.clone()).unwrap();
        let mut b = openssl::pkcs12::Pkcs12::builder();
        b.ca(cas);
        let p12 = b.build2("storepw").unwrap().to_der().unwrap();
        let path = write(&dir, "truststore.p12", &p12);
        // Declared JKS, as Kafka's default type says, but PKCS12 inside.
        let t = translate([
            ("ssl.truststore.location", path.as_str()),
            ("ssl.truststore.password", "storepw"),
            ("ssl.truststore.type", "JKS"),
        ])
        .unwrap();
        let pem = value(&t, "ssl.ca.pem").unwrap();
        assert_eq!(pem, String::from_utf8(ca.to_pem().unwrap()).unwrap());
        let e = translate([
            ("ssl.truststore.location", path.as_str()),
            ("ssl.truststore.password", "wrong"),
        ])
        .unwrap_err();
        assert!(matches!(e, SecurityError::BadStorePassword { .. }), "{e}");
    }

    #[test]
    fn a_pkcs12_keystore_goes_to_librdkafka_once_it_opens() {
        let dir = tempfile::tempdir().unwrap();
        let (c, key) = cert("client");
        let mut b = openssl::pkcs12::Pkcs12::builder();
        b.name("client").pkey(&key).cert(&c);
        let path = write(
            &dir,
            "client.p12",
            &b.build2("pw").unwrap().to_der().unwrap(),
        );
        let t = translate([
            ("ssl.keystore.location", path.as_str()),
            ("ssl.keystore.password", "pw"),
            ("ssl.keystore.type", "PKCS12"),
        ])
        .unwrap();
        assert_eq!(value(&t, "ssl.keystore.location"), Some(path.as_str()));
        assert_eq!(value(&t, "ssl.keystore.password"), Some("pw"));
        let e = translate([
            ("ssl.keystore.location", path.as_str()),
            ("ssl.keystore.password", "no"),
        ])
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("could not be opened with ssl.keystore.password"),
            "{e}"
        );
    }

    #[test]
    fn jks_and_garbage_stores_are_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let jks = write(&dir, "old.jks", &[0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]);
        let e = translate([("ssl.truststore.location", jks.as_str())])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("keytool -importkeystore") && e.contains(&jks),
            "{e}"
        );
        let junk = write(&dir, "junk", b"hello");
        let e = translate([("ssl.keystore.location", junk.as_str())]).unwrap_err();
        assert!(matches!(e, SecurityError::NotAStore { .. }), "{e}");
        let e = translate([("ssl.truststore.location", "/nonexistent/ts.p12")]).unwrap_err();
        assert!(
            e.to_string().contains("cannot read /nonexistent/ts.p12"),
            "{e}"
        );
        let e = translate([("ssl.truststore.location", "/dev/null")]).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[test]
    fn pem_stores_and_host_name_checking_map_as_java_means_them() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, key) = cert("ca");
        let ca_pem = String::from_utf8(ca.to_pem().unwrap()).unwrap();
        let path = write(&dir, "ca.pem", ca_pem.as_bytes());
        let mut both = key.private_key_to_pem_pkcs8().unwrap();
        both.extend(ca.to_pem().unwrap());
        let ks = write(&dir, "client.pem", &both);
        let t = translate([
            ("ssl.truststore.location", path.as_str()),
            ("ssl.truststore.type", "PEM"),
            ("ssl.keystore.location", ks.as_str()),
            ("ssl.keystore.type", "PEM"),
            ("ssl.endpoint.identification.algorithm", ""),
        ])
        .unwrap();
        assert_eq!(value(&t, "ssl.ca.location"), Some(path.as_str()));
        assert_eq!(value(&t, "ssl.certificate.location"), Some(ks.as_str()));
        assert_eq!(value(&t, "ssl.key.location"), Some(ks.as_str()));
        assert_eq!(
            value(&t, "ssl.endpoint.identification.algorithm"),
            Some("none")
        );
        let t = translate([("ssl.truststore.certificates", ca_pem.as_str())]).unwrap();
        assert_eq!(value(&t, "ssl.ca.pem"), Some(ca_pem.trim()));
        assert!(translate([("ssl.endpoint.identification.algorithm", "ldap")]).is_err());
    }

    #[test]
    fn java_only_knobs_are_noted_not_dropped_in_silence() {
        let t = translate([
            ("ssl.enabled.protocols", "TLSv1.2,TLSv1.3"),
            ("acks", "all"),
        ])
        .unwrap();
        assert!(t.properties.is_empty());
        assert_eq!(t.notes.len(), 1);
        assert!(t.notes[0].contains("ssl.enabled.protocols=TLSv1.2,TLSv1.3 is not passed on"));
    }
}
