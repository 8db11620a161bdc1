//! Partitioners kprod runs itself where librdkafka has none (the Java
//! client's sticky choice for keyless records, round robin, uniform sticky,
//! rules from a file); librdkafka's own partitioners, murmur2 for the Java
//! client's keyed records among them, stay inside librdkafka.

use std::sync::Mutex;

use foldhash::{HashMap, HashMapExt};

use super::record::Draft;

/// The `partitioner` values kprod computes itself (at least in part); every
/// other value is a librdkafka partitioner. For the records kprod leaves to
/// librdkafka, these run its murmur2_random.
pub const KPROD_PARTITIONERS: &[&str] = &["java_default", "round_robin", "uniform_sticky", "rules"];

/// How a record's partition is chosen when the user did not give one.
#[derive(Debug)]
pub enum Strategy {
    /// librdkafka's `partitioner` decides.
    Librdkafka,
    /// The Java client's default (its BuiltInPartitioner, without the
    /// adaptive weighting by queue length): a keyed record goes where murmur2
    /// of its serialized key says, which librdkafka's murmur2_random
    /// computes; a keyless one sticks to one partition until `batch.size`
    /// bytes went there, then another is picked at random.
    JavaDefault,
    /// One record to each partition in turn (the Java RoundRobinPartitioner).
    RoundRobin,
    /// Every record, keyed or not, sticks as keyless records do under
    /// JavaDefault (the Java UniformStickyPartitioner).
    UniformSticky,
    /// The first matching rule's partition; no match: JavaDefault.
    Rules(Rules),
}

/// What a strategy decided for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Leave it to librdkafka's partitioner.
    Default,
    Partition(i32),
    /// A rule (by its line in the file) named a partition the topic lacks.
    OutOfRange {
        line: usize,
        partition: i32,
    },
}

/// A strategy with the per-topic state it keeps between records.
#[derive(Debug)]
pub struct Partitioner {
    pub strategy: Strategy,
    /// Bytes a sticky partition takes before the next is picked.
    batch_size: u64,
    topics: Mutex<HashMap<String, Turn>>,
}

#[derive(Debug, Default)]
struct Turn {
    next: u64,
    sticky: Option<i32>,
    sticky_bytes: u64,
}

impl Partitioner {
    pub fn new(strategy: Strategy, batch_size: u64) -> Partitioner {
        Partitioner {
            strategy,
            batch_size: batch_size.max(1),
            topics: Mutex::new(HashMap::new()),
        }
    }

    /// Whether kprod chooses partitions for any record.
    pub fn chooses(&self) -> bool {
        !matches!(self.strategy, Strategy::Librdkafka)
    }

    /// Whether kprod may choose `draft`'s partition, and so needs the
    /// topic's partition count.
    pub fn needs_count(&self, draft: &Draft) -> bool {
        match self.strategy {
            Strategy::Librdkafka => false,
            Strategy::JavaDefault => draft.key.is_none(),
            _ => true,
        }
    }

    /// Picks a partition for `draft` (of about `size` bytes) on a topic with
    /// `partitions` partitions.
    pub fn choose(&self, draft: &Draft, size: usize, partitions: i32) -> Choice {
        if partitions <= 0 {
            return Choice::Default;
        }
        let java_default = || match draft.key {
            Some(_) => Choice::Default,
            None => self.sticky(draft, size, partitions),
        };
        match &self.strategy {
            Strategy::Librdkafka => Choice::Default,
            Strategy::JavaDefault => java_default(),
            Strategy::RoundRobin => {
                let mut topics = crate::sync::lock(&self.topics);
                let turn = topics.entry(draft.topic.clone()).or_default();
                let p = (turn.next % partitions as u64) as i32;
                turn.next += 1;
                Choice::Partition(p)
            }
            Strategy::UniformSticky => self.sticky(draft, size, partitions),
            Strategy::Rules(rules) => match rules.route(draft) {
                None => java_default(),
                Some(rule) if rule.partition < partitions => Choice::Partition(rule.partition),
                Some(rule) => Choice::OutOfRange {
                    line: rule.line,
                    partition: rule.partition,
                },
            },
        }
    }

    /// The topic's sticky partition, moving on once `batch_size` bytes went
    /// there.
    fn sticky(&self, draft: &Draft, size: usize, partitions: i32) -> Choice {
        let mut topics = crate::sync::lock(&self.topics);
        let turn = match topics.get_mut(&draft.topic) {
            Some(turn) => turn,
            None => topics.entry(draft.topic.clone()).or_default(),
        };
        let p = match turn.sticky {
            Some(p) if p < partitions && turn.sticky_bytes < self.batch_size => p,
            previous => {
                turn.sticky_bytes = 0;
                other_partition(previous, partitions)
            }
        };
        turn.sticky = Some(p);
        turn.sticky_bytes += size as u64;
        Choice::Partition(p)
    }
}

/// About what a record of `data` bytes (key, value, header names and
/// values) with `headers` headers takes in a batch: Kafka's record format
/// adds lengths, attributes and time and offset deltas, so even an empty
/// record fills a sticky partition's batch.size in the end, as it does in
/// the Java client, which counts the same.
pub fn in_batch(data: usize, headers: usize) -> usize {
    data + 10 + 2 * headers
}

/// A random partition other than `previous` when there is a choice, as the
/// Java client moves on from a full sticky batch.
fn other_partition(previous: Option<i32>, partitions: i32) -> i32 {
    match previous {
        Some(prev) if partitions > 1 && prev < partitions => {
            let p = fastrand::i32(0..partitions - 1);
            if p >= prev {
                p + 1
            } else {
                p
            }
        }
        _ => fastrand::i32(0..partitions),
    }
}

/// What part of a record a rule looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Key,
    Value,
    Header(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    Is,
    StartsWith,
    EndsWith,
    Contains,
}

/// One line of a rule file: `key starts-with VIP- -> 5`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub line: usize,
    pub subject: Subject,
    pub test: Test,
    pub text: Vec<u8>,
    pub partition: i32,
}

/// Rules in file order; the first that matches a record decides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rules(pub Vec<Rule>);

/// What a rule file looks like, for error messages and new files.
pub const RULES_SYNTAX: &str = "SUBJECT TEST TEXT -> PARTITION, SUBJECT is key, value or header NAME, TEST is is, starts-with, ends-with or contains (or SUBJECT=TEXT for is)";

/// A starting point for a new rule file.
pub const RULES_EXAMPLE: &str = "\
# kprod partition rules: the first rule that matches a record picks its
# partition; a record no rule matches goes where the Java client's default
# partitioner puts it (murmur2 of the key; keyless: sticky per batch).
#   SUBJECT TEST TEXT -> PARTITION
#   SUBJECT: key | value | header NAME
#   TEST:    is | starts-with | ends-with | contains   (SUBJECT=TEXT means is)
# Put TEXT in double quotes to keep spaces at its ends.
header country=KR -> 0
key starts-with VIP- -> 5
";

/// A line of a rule file that does not parse: its number, its text and
/// what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem} (in '{text}')")]
pub struct RulesError {
    pub line: usize,
    pub text: String,
    pub problem: RuleProblem,
}

/// What is wrong with one rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    #[error("no '-> PARTITION' at the end")]
    NoArrow,
    #[error("'{0}' is not a partition number")]
    NotAPartition(String),
    #[error("a header rule names the header: header NAME=TEXT")]
    HeaderEqualsNoName,
    #[error("a header rule names the header: header NAME TEST TEXT")]
    HeaderNoName,
    #[error("no subject: {RULES_SYNTAX}")]
    NoSubject,
    #[error("unknown subject '{0}': use key, value or header NAME")]
    UnknownSubject(String),
    #[error("no test: use is, starts-with, ends-with or contains")]
    NoTest,
    #[error("unknown test '{0}': use is, starts-with, ends-with or contains")]
    UnknownTest(String),
    #[error("a quoted text needs its closing '\"'")]
    NoClosingQuote,
    #[error("no text to compare with")]
    NoText,
}

impl Rules {
    /// Parses a rule file; an error names the line and what is wrong with it.
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        let mut rules = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let body = raw.trim();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let fail = |problem| RulesError {
                line,
                text: body.into(),
                problem,
            };
            let (lhs, target) = body
                .rsplit_once("->")
                .ok_or_else(|| fail(RuleProblem::NoArrow))?;
            let target = target.trim();
            let partition: i32 = target
                .parse()
                .ok()
                .filter(|p| *p >= 0)
                .ok_or_else(|| fail(RuleProblem::NotAPartition(target.into())))?;
            let (subject, rest) = subject(lhs.trim()).map_err(&fail)?;
            let (test, text) = test(rest).map_err(&fail)?;
            let text = unquote(text.trim()).map_err(&fail)?;
            rules.push(Rule {
                line,
                subject,
                test,
                text: text.into_bytes(),
                partition,
            });
        }
        Ok(Rules(rules))
    }

    /// The first rule that matches `draft`.
    pub fn route(&self, draft: &Draft) -> Option<&Rule> {
        self.0.iter().find(|r| r.matches(draft))
    }
}

impl Rule {
    fn matches(&self, draft: &Draft) -> bool {
        let hit = |bytes: &[u8]| match self.test {
            Test::Is => bytes == self.text.as_slice(),
            Test::StartsWith => bytes.starts_with(&self.text),
            Test::EndsWith => bytes.ends_with(&self.text),
            Test::Contains => {
                self.text.is_empty() || bytes.windows(self.text.len()).any(|w| w == self.text)
            }
        };
        match &self.subject {
            Subject::Key => draft.key.as_deref().is_some_and(hit),
            Subject::Value => draft.value.as_deref().is_some_and(hit),
            Subject::Header(name) => draft
                .headers
                .iter()
                .any(|h| &h.name == name && h.value.as_deref().is_some_and(hit)),
        }
    }
}

/// `key ...`, `value ...`, `header NAME ...`, or the same with `=TEXT`.
fn subject(lhs: &str) -> Result<(Subject, &str), RuleProblem> {
    let (word, rest) = split_word(lhs);
    let (word, eq_rest) = match word.split_once('=') {
        Some((w, _)) => (w, Some(&lhs[w.len()..])),
        None => (word, None),
    };
    match word {
        "key" | "value" => {
            let s = if word == "key" {
                Subject::Key
            } else {
                Subject::Value
            };
            Ok((s, eq_rest.unwrap_or(rest)))
        }
        "header" => {
            if eq_rest.is_some() {
                return Err(RuleProblem::HeaderEqualsNoName);
            }
            let rest = rest.trim_start();
            let end = rest.find([' ', '\t', '=']).unwrap_or(rest.len());
            let name = &rest[..end];
            if name.is_empty() {
                return Err(RuleProblem::HeaderNoName);
            }
            Ok((Subject::Header(name.into()), &rest[end..]))
        }
        "" => Err(RuleProblem::NoSubject),
        other => Err(RuleProblem::UnknownSubject(other.into())),
    }
}

fn test(rest: &str) -> Result<(Test, &str), RuleProblem> {
    let rest = rest.trim_start();
    if let Some(text) = rest.strip_prefix('=') {
        return Ok((Test::Is, text));
    }
    let (word, text) = split_word(rest);
    let test = match word {
        "is" => Test::Is,
        "starts-with" => Test::StartsWith,
        "ends-with" => Test::EndsWith,
        "contains" => Test::Contains,
        "" => return Err(RuleProblem::NoTest),
        other => return Err(RuleProblem::UnknownTest(other.into())),
    };
    Ok((test, text))
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = s.find([' ', '\t']).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

fn unquote(text: &str) -> Result<String, RuleProblem> {
    match text.strip_prefix('"') {
        Some(inner) => inner
            .strip_suffix('"')
            .map(str::to_string)
            .ok_or(RuleProblem::NoClosingQuote),
        None if text.is_empty() => Err(RuleProblem::NoText),
        None => Ok(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Header;

    fn draft(key: &str) -> Draft {
        Draft {
            topic: "t".into(),
            key: Some(key.as_bytes().to_vec()),
            ..Default::default()
        }
    }

    #[test]
    fn the_example_parses_and_routes() {
        let rules = Rules::parse(RULES_EXAMPLE).unwrap();
        assert_eq!(rules.0.len(), 2);
        let mut d = draft("VIP-7");
        assert_eq!(rules.route(&d).map(|r| r.partition), Some(5));
        d.headers.push(Header {
            name: "country".into(),
            value: Some(b"KR".to_vec()),
        });
        assert_eq!(rules.route(&d).map(|r| (r.line, r.partition)), Some((8, 0)));
        assert!(rules.route(&draft("vip-7")).is_none());
    }

    #[test]
    fn each_test_and_quotes() {
        let rules = Rules::parse(
            "value contains error -> 1\nkey ends-with \" x\" -> 2\nkey is exact -> 3\nvalue=v -> 4",
        )
        .unwrap();
        let mut d = draft("a x");
        assert_eq!(rules.route(&d).unwrap().partition, 2);
        d.value = Some(b"an error here".to_vec());
        assert_eq!(rules.route(&d).unwrap().partition, 1);
        assert_eq!(rules.route(&draft("exact")).unwrap().partition, 3);
        assert!(rules.route(&draft("exactly")).is_none());
        let mut v = draft("k");
        v.value = Some(b"v".to_vec());
        assert_eq!(rules.route(&v).unwrap().partition, 4);
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        for (text, want) in [
            ("# ok\n\nkey is a 5", "line 3: no '-> PARTITION'"),
            (
                "key is a -> five",
                "line 1: 'five' is not a partition number",
            ),
            ("key is a -> -1", "line 1: '-1' is not a partition number"),
            ("keys is a -> 1", "line 1: unknown subject 'keys'"),
            ("key like a -> 1", "line 1: unknown test 'like'"),
            ("header -> 1", "line 1: a header rule names the header"),
            ("key is -> 1", "line 1: no text to compare with"),
            ("key is \"a -> 1", "line 1: a quoted text needs its closing"),
        ] {
            let err = Rules::parse(text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn round_robin_and_sticky_turns() {
        let rr = Partitioner::new(Strategy::RoundRobin, 16384);
        let d = draft("k");
        let picks: Vec<_> = (0..7).map(|_| rr.choose(&d, 10, 3)).collect();
        let want: Vec<_> = [0, 1, 2, 0, 1, 2, 0].map(Choice::Partition).to_vec();
        assert_eq!(picks, want);

        let sticky = Partitioner::new(Strategy::UniformSticky, 100);
        let java = Partitioner::new(Strategy::JavaDefault, 100);
        let keyless = Draft {
            key: None,
            ..draft("")
        };
        for (p, d) in [(&sticky, &d), (&java, &keyless)] {
            let picks: Vec<i32> = (0..30)
                .map(|_| match p.choose(d, 10, 4) {
                    Choice::Partition(p) => p,
                    other => panic!("{other:?}"),
                })
                .collect();
            // 100 bytes of 10-byte records: ten in a row, then another
            // partition.
            for run in picks.chunks(10) {
                assert!(run.iter().all(|p| *p == run[0]), "{picks:?}");
            }
            assert_ne!(picks[9], picks[10]);
            assert_ne!(picks[19], picks[20]);
        }
        // Keyed records under the Java default are librdkafka's (murmur2),
        // and an empty key is a key.
        assert!(!java.needs_count(&d));
        assert_eq!(java.choose(&draft(""), 10, 4), Choice::Default);
        assert!(java.needs_count(&keyless));
    }
}
