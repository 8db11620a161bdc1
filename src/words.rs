//! The one place an engine error becomes what a user reads: the engine's
//! own words (each error's Display), and where kprod's front ends can help,
//! how to get past it in their terms (flags, commands), which the engine
//! does not know.

use crate::engine::cluster::ClusterError;
use crate::engine::compare::PlanError;
use crate::engine::faults::FaultError;
use crate::engine::settings::SettingError;
use crate::engine::Error;

/// How to reach a real broker, for what the embedded cluster cannot show.
pub const REAL_BROKER: &str = "use a real broker (-b, or --local-kafka)";

/// What a user reads of `error`.
pub fn error(error: impl Into<Error>) -> String {
    let error = error.into();
    match way_out(&error) {
        Some(way) => format!("{error}{way}"),
        None => error.to_string(),
    }
}

/// Why min.insync.replicas means nothing on the embedded cluster, and
/// where it does.
pub fn no_isr() -> String {
    error(ClusterError::NoIsr)
}

/// How to get past an error, with the separator that joins it on.
fn way_out(error: &Error) -> Option<String> {
    let setting = |e: &SettingError| match e {
        SettingError::Brokers(_) => Some(": give the brokers with -b/--bootstrap-servers".into()),
        _ => None,
    };
    match error {
        Error::Fault(FaultError::ProxyNotRunning) => {
            Some(": start kprod with --proxy (kprod produce --fault starts it itself)".into())
        }
        Error::Cluster(ClusterError::NoIsr) => {
            Some(format!("; {REAL_BROKER} to see the ISR shrink"))
        }
        Error::Setting(e) | Error::Plan(PlanError::Setting(e)) => setting(e),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::settings::Settings;

    #[test]
    fn the_front_end_adds_the_way_out_the_engine_does_not_know() {
        assert_eq!(
            error(FaultError::ProxyNotRunning),
            "on a real cluster faults are made by kprod's proxy, which is not running: start kprod with --proxy (kprod produce --fault starts it itself)"
        );
        assert_eq!(
            no_isr(),
            "the embedded cluster has no replication: every replica is always in sync and min.insync.replicas is not enforced; use a real broker (-b, or --local-kafka) to see the ISR shrink"
        );
        let refused = Settings::default()
            .set("bootstrap.servers", "x:1")
            .unwrap_err();
        assert!(
            error(refused).ends_with(": give the brokers with -b/--bootstrap-servers"),
            "the broker list is the front end's"
        );
        // Everything else is the engine's own words.
        let late = crate::engine::pace::rate("0").unwrap_err();
        assert_eq!(error(late.clone()), late.to_string());
    }
}
