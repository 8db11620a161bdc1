//! The console as model / update / effect: the state (model), the messages
//! that change it (msg) through one `update`, and the effects it returns for
//! the runner in `ui` to perform. Nothing here draws, does I/O or reads the
//! clock.

mod burst;
mod effect;
mod field;
mod log;
mod model;
mod msg;
mod profiles;
mod prompt;
mod records;
mod rules;
mod schema;
mod templates;
mod txn;
mod update;

pub use burst::{BatchStat, Comparison, Flow};
pub use effect::Effect;
pub use field::{insert_pasted, Field};
pub use log::{
    ack_line, clock, record_of, short, Filter, Log, LogLine, Requests, Status, LOG_CAPACITY,
};
pub use model::{App, Ask, Connection, Focus, Popup, Totals};
pub use msg::Msg;
pub use profiles::{form, parse_form, PROFILE_FORM};
pub use prompt::{check_prompt, new_topic};
pub use records::{RecordList, Source, Target};
pub use rules::default_rules_path;
pub use schema::{ask_text, parse_schema, SCHEMA_SYNTAX};
pub use txn::{Phase, TxnStatus};
pub use update::update;
