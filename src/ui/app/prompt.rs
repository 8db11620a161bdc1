//! What the one-line prompts accept: each asks for text the engine must
//! parse, and says why it cannot before Enter is pressed.

use super::Ask;
use crate::engine::compare;
use crate::engine::faults;
use crate::engine::pace::burst_size;
use crate::engine::settings::Settings;
use crate::engine::NewTopic;
use crate::words;

/// Whether a prompt's text can be accepted, and if not, why.
pub fn check_prompt(
    ask: &Ask,
    text: &str,
    pending: &Settings,
    brokers: usize,
    topics: Option<&[crate::engine::TopicInfo]>,
) -> Result<(), String> {
    match ask {
        Ask::BurstCount => burst_size(text).map(|_| ()).map_err(words::error),
        Ask::SettingValue(name) => {
            let mut trial = pending.clone();
            trial.set(name, text).map_err(words::error)
        }
        Ask::NewTopic => new_topic(text, brokers).map(|_| ()),
        Ask::Property => {
            let mut trial = pending.clone();
            trial.set_pair(text).map_err(words::error)
        }
        Ask::Compare => compare::parse(pending, text)
            .map(|_| ())
            .map_err(words::error),
        Ask::Fault => fault(text, topics).map(|_| ()),
        Ask::Schema(_) => super::parse_schema(text).map(|_| ()),
        Ask::TemplateName => crate::templates::check_name(text.trim()),
        Ask::RecordsFile => crate::recordfile::parse_spec(text).map(|_| ()),
    }
}

/// A fault as typed, with any TOPIC/P made into the id of that
/// partition's leader as the cluster last reported it; and what each such
/// name turned out to be.
pub fn fault(
    text: &str,
    topics: Option<&[crate::engine::TopicInfo]>,
) -> Result<(faults::Fault, Vec<String>), String> {
    let (text, told) = faults::with_leaders(text, |topic, partition| {
        let t = topics
            .and_then(|ts| ts.iter().find(|t| t.name == topic))
            .ok_or_else(|| {
                format!(
                    "{topic}/{partition}: no topic '{topic}' on the cluster (Ctrl-T lists them)"
                )
            })?;
        t.layout
            .iter()
            .find(|p| p.id == partition)
            .map(|p| p.leader)
            .filter(|l| *l >= 0)
            .ok_or_else(|| match partition < t.partitions {
                true => format!("{topic}/{partition} has no leader now"),
                false => format!(
                    "{topic}/{partition}: {topic} has partitions 0 to {}",
                    t.partitions - 1
                ),
            })
    })?;
    let fault = faults::parse(&text).map_err(words::error)?;
    Ok((fault, told))
}

/// Parses `name partitions replication [min.insync.replicas]`, by Kafka's
/// rules for topic names; `brokers` bounds the replication factor when known.
pub fn new_topic(text: &str, brokers: usize) -> Result<NewTopic, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let [name, partitions, replication, rest @ ..] = words.as_slice() else {
        return Err("name partitions replication [min.insync.replicas], e.g. orders 6 3 2".into());
    };
    if name.len() > 249 || *name == "." || *name == ".." {
        return Err(format!("'{name}' is not a legal topic name"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "'{c}' is not allowed in a topic name (letters, digits, . _ - only)"
        ));
    }
    let number = |what: &str, s: &str, max: i32| match s.parse::<i32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{what} '{s}' must be a whole number from 1 to {max}"
        )),
    };
    let partitions = number("partitions", partitions, 100_000)?;
    let max_rf = if brokers > 0 {
        brokers as i32
    } else {
        i32::MAX
    };
    let replication =
        number("replication factor", replication, max_rf.min(32_767)).map_err(|e| {
            if brokers > 0 {
                format!("{e} (the cluster has {brokers} brokers)")
            } else {
                e
            }
        })?;
    let min_insync_replicas = match rest {
        [] => None,
        [m] => Some(number("min.insync.replicas", m, replication)?),
        _ => {
            return Err("too many words: name partitions replication [min.insync.replicas]".into())
        }
    };
    Ok(NewTopic {
        name: name.to_string(),
        partitions,
        replication,
        min_insync_replicas,
    })
}
