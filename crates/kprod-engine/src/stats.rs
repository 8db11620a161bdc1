//! librdkafka's statistics, as kprod reads them: for each topic, the batches
//! librdkafka built (how many, their records, their size on the wire after
//! compression) and the key and value bytes it sent, told as what changed
//! since the report before, so a front end adds them up from whenever it
//! likes (a reset chart, a rebuilt producer). librdkafka counts batches per
//! topic only; per partition, kprod has them from its debug lines
//! (batches.rs).

use std::collections::HashMap;

use rdkafka::statistics::Statistics;

/// How often librdkafka reports, unless `statistics.interval.ms` says.
pub const INTERVAL_MS: u64 = 1000;

/// What a topic's producer sent between two reports, or added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// Batches built and sent (one sent again counts again).
    pub batches: u64,
    /// Records in those batches.
    pub records: u64,
    /// The batches on the wire, after compression.
    pub wire_bytes: u64,
    /// The keys and values of the records sent, before compression (their
    /// headers not counted).
    pub key_value_bytes: u64,
}

impl Sent {
    pub fn add(&mut self, other: &Sent) {
        self.batches += other.batches;
        self.records += other.records;
        self.wire_bytes += other.wire_bytes;
        self.key_value_bytes += other.key_value_bytes;
    }

    pub fn records_per_batch(&self) -> f64 {
        self.records as f64 / self.batches.max(1) as f64
    }

    pub fn bytes_per_batch(&self) -> u64 {
        self.wire_bytes / self.batches.max(1)
    }
}

/// Turns librdkafka's reports into what each topic sent since the last.
#[derive(Debug, Default)]
pub struct Reader {
    /// librdkafka's running total of key and value bytes sent, by topic.
    sent_bytes: HashMap<String, u64>,
}

impl Reader {
    /// What each topic sent since the previous report; topics that sent
    /// nothing are left out. A topic's batch figures are windows librdkafka
    /// starts again at every report; its bytes are running totals.
    pub fn read(&mut self, stats: &Statistics) -> Vec<(String, Sent)> {
        let mut out = Vec::new();
        for (name, topic) in &stats.topics {
            let total: u64 = topic.partitions.values().map(|p| p.txbytes).sum();
            let before = self.sent_bytes.insert(name.clone(), total).unwrap_or(0);
            let sent = Sent {
                batches: topic.batchcnt.cnt.max(0) as u64,
                records: topic.batchcnt.sum.max(0) as u64,
                wire_bytes: topic.batchsize.sum.max(0) as u64,
                key_value_bytes: total.saturating_sub(before),
            };
            if sent != Sent::default() {
                out.push((name.clone(), sent));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report as librdkafka 2.12 writes it, cut to what matters here.
    fn report(batches: i64, records: i64, wire: i64, txbytes: [u64; 2]) -> Statistics {
        let window = |cnt: i64, sum: i64| {
            format!(
                r#"{{"min":0,"max":0,"avg":0,"sum":{sum},"stddev":0,"p50":0,"p75":0,"p90":0,"p95":0,"p99":0,"p99_99":0,"outofrange":0,"hdrsize":0,"cnt":{cnt}}}"#
            )
        };
        let partition = |id: i32, txbytes: u64| {
            format!(
                r#""{id}":{{"partition":{id},"broker":1,"leader":1,"desired":false,"unknown":false,"msgq_cnt":0,"msgq_bytes":0,"xmit_msgq_cnt":0,"xmit_msgq_bytes":0,"fetchq_cnt":0,"fetchq_size":0,"fetch_state":"none","query_offset":0,"next_offset":0,"app_offset":0,"stored_offset":0,"commited_offset":0,"committed_offset":0,"eof_offset":0,"lo_offset":0,"hi_offset":0,"ls_offset":0,"consumer_lag":0,"consumer_lag_stored":0,"txmsgs":0,"txbytes":{txbytes},"rxmsgs":0,"rxbytes":0,"msgs":0,"rx_ver_drops":0,"msgs_inflight":0,"next_ack_seq":0,"next_err_seq":0,"acked_msgid":0}}"#
            )
        };
        let json = format!(
            r#"{{"name":"p","client_id":"c","type":"producer","ts":0,"time":0,"age":0,"replyq":0,"msg_cnt":0,"msg_size":0,"msg_max":0,"msg_size_max":0,"simple_cnt":0,"metadata_cache_cnt":0,"tx":0,"tx_bytes":0,"rx":0,"rx_bytes":0,"txmsgs":0,"txmsg_bytes":0,"rxmsgs":0,"rxmsg_bytes":0,"brokers":{{}},"topics":{{"t":{{"topic":"t","age":0,"metadata_age":0,"batchsize":{},"batchcnt":{},"partitions":{{{},{}}}}}}}}}"#,
            window(batches, wire),
            window(batches, records),
            partition(0, txbytes[0]),
            partition(1, txbytes[1]),
        );
        serde_json::from_str(&json).expect("a report rdkafka reads")
    }

    #[test]
    fn windows_add_up_and_running_totals_become_differences() {
        let mut reader = Reader::default();
        let first = reader.read(&report(3, 30, 900, [400, 200]));
        let want = Sent {
            batches: 3,
            records: 30,
            wire_bytes: 900,
            key_value_bytes: 600,
        };
        assert_eq!(first, vec![("t".to_string(), want)]);
        let second = reader.read(&report(1, 5, 120, [450, 220]));
        assert_eq!(second[0].1.key_value_bytes, 70);
        let mut total = first[0].1;
        total.add(&second[0].1);
        assert_eq!(
            (total.batches, total.records, total.wire_bytes),
            (4, 35, 1020)
        );
        assert_eq!(
            (total.records_per_batch(), total.bytes_per_batch()),
            (8.75, 255)
        );
        // Nothing sent: nothing told.
        assert!(reader.read(&report(0, 0, 0, [450, 220])).is_empty());
    }
}
