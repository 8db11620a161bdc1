//! Kafka's rule for topic names, checked before a record is sent, so the
//! embedded cluster refuses what a real broker refuses.

use thiserror::Error;

/// Kafka's limit (Topic.MAX_NAME_LENGTH): a partition's directory name is
/// the topic, a dash and the partition number, and must fit a file name.
pub const MAX_LENGTH: usize = 249;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopicError {
    #[error("the topic name is empty")]
    Empty,
    #[error("topic name '{0}' is not allowed: '.' and '..' name directories")]
    Dots(String),
    #[error("topic name '{name}' is {length} characters long: Kafka allows at most {MAX_LENGTH}")]
    TooLong { name: String, length: usize },
    #[error("topic name '{name}' has '{bad}': Kafka allows only ASCII letters, digits, '.', '_' and '-'")]
    Character { name: String, bad: char },
}

/// Refuses a name Kafka's brokers refuse (Topic.validate in Kafka's
/// common module): 1 to 249 of `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub fn validate(name: &str) -> Result<(), TopicError> {
    if name.is_empty() {
        return Err(TopicError::Empty);
    }
    if name == "." || name == ".." {
        return Err(TopicError::Dots(name.into()));
    }
    // Asked for every record: a valid name, all ASCII, is one byte scan.
    if name.len() <= MAX_LENGTH
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Ok(());
    }
    let length = name.chars().count();
    if length > MAX_LENGTH {
        return Err(TopicError::TooLong {
            name: name.into(),
            length,
        });
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(TopicError::Character {
            name: name.into(),
            bad,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_kafka_accepts_pass_and_others_say_why() {
        for ok in ["demo", "orders.v2", "a_b-c", "x", &"t".repeat(MAX_LENGTH)] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate(""), Err(TopicError::Empty));
        assert_eq!(validate(".."), Err(TopicError::Dots("..".into())));
        assert!(matches!(
            validate(&"t".repeat(MAX_LENGTH + 1)),
            Err(TopicError::TooLong { length: 250, .. })
        ));
        assert!(matches!(
            validate("my topic"),
            Err(TopicError::Character { bad: ' ', .. })
        ));
        assert!(matches!(
            validate("zahlungen-ü"),
            Err(TopicError::Character { bad: 'ü', .. })
        ));
    }
}
