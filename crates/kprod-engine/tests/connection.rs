//! A security setting given once reaches every client kprod makes.

use kprod_engine::connection::Connection;
use kprod_engine::settings::Settings;

#[test]
fn security_settings_reach_every_client() {
    let mut s = Settings::default();
    for pair in [
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanism=PLAIN",
        "sasl.username=alice",
        "client.id=kprod-test",
        "linger.ms=7",
    ] {
        s.set_pair(pair).expect("a valid setting");
    }
    let c = Connection::new("b:1", &s);
    let side = c.to("proxy:2");
    for (client, cfg) in [
        ("producer", c.producer_config()),
        ("verifier", c.verifier_config()),
        ("admin", c.admin_config()),
        ("metadata", c.metadata_config()),
        ("proxy's side client", side.metadata_config()),
    ] {
        assert_eq!(
            cfg.get("security.protocol"),
            Some("SASL_PLAINTEXT"),
            "{client}"
        );
        assert_eq!(cfg.get("sasl.mechanism"), Some("PLAIN"), "{client}");
        assert_eq!(cfg.get("sasl.username"), Some("alice"), "{client}");
        assert_eq!(cfg.get("client.id"), Some("kprod-test"), "{client}");
        assert!(cfg.get("bootstrap.servers").is_some(), "{client}");
    }
    // Producer settings stay the producer's.
    assert_eq!(c.producer_config().get("queue.buffering.max.ms"), Some("7"));
    assert_eq!(c.admin_config().get("queue.buffering.max.ms"), None);
    assert_eq!(
        side.client_config().get("bootstrap.servers"),
        Some("proxy:2")
    );
}
