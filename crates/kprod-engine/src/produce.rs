//! The produce call itself, made through rdkafka-sys with a topic handle
//! kept per topic. The rdkafka crate's `send` takes the topic by name, so
//! every record paid for a C string of the name and librdkafka's lookup of
//! the topic by it (about 410 instructions a record); kcat keeps a handle,
//! and so does this. Delivery reports still come to the crate's callback:
//! the opaque is passed the way its own `send` passes it.

use std::ffi::CString;
use std::ptr;
use std::sync::{Arc, Mutex};

use foldhash::HashMap;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{Producer as _, ProducerContext, ThreadedProducer};
use rdkafka::util::IntoOpaque;
use rdkafka_sys as rdsys;
use rdkafka_sys::rd_kafka_vtype_t::*;

use crate::sync::lock;

/// librdkafka's handle of one topic, valid until the `Topics` holding it
/// is dropped.
struct Handle(*mut rdsys::rd_kafka_topic_t);

// librdkafka's topic handles may be used from any thread.
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

/// A record's headers as librdkafka takes them; librdkafka owns them once
/// the record is accepted, and they are freed here otherwise.
pub struct Headers(*mut rdsys::rd_kafka_headers_t);

unsafe impl Send for Headers {}

impl Headers {
    pub fn with_capacity(n: usize) -> Headers {
        Headers(unsafe { rdsys::rd_kafka_headers_new(n) })
    }

    pub fn add(&mut self, name: &str, value: Option<&[u8]>) {
        let (value, len) = value.map_or((ptr::null(), 0), |v| (v.as_ptr(), v.len()));
        // Fails only for read-only headers, which these are not.
        unsafe {
            rdsys::rd_kafka_header_add(
                self.0,
                name.as_ptr().cast(),
                name.len() as isize,
                value.cast(),
                len as isize,
            );
        }
    }
}

impl Drop for Headers {
    fn drop(&mut self) {
        if !self.0.is_null() {
            unsafe { rdsys::rd_kafka_headers_destroy(self.0) }
        }
    }
}

/// One record to produce, borrowed from its draft.
pub struct Record<'a> {
    pub topic: &'a str,
    /// -1: librdkafka's partitioner picks.
    pub partition: i32,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub timestamp: i64,
}

/// The topic handles of one producer; they are destroyed before it, as
/// librdkafka requires.
pub struct Topics<C: ProducerContext + 'static> {
    handles: Mutex<HashMap<String, Handle>>,
    client: Arc<ThreadedProducer<C>>,
}

impl<C: ProducerContext + 'static> Topics<C> {
    pub fn new(client: Arc<ThreadedProducer<C>>) -> Topics<C> {
        Topics {
            handles: Mutex::default(),
            client,
        }
    }

    fn handle(&self, topic: &str) -> Result<*mut rdsys::rd_kafka_topic_t, KafkaError> {
        let mut handles = lock(&self.handles);
        if let Some(h) = handles.get(topic) {
            return Ok(h.0);
        }
        let name = CString::new(topic)?;
        // No topic configuration of its own: the topic-level settings given
        // to the producer apply, as they do to a topic named in a send.
        let rkt = unsafe {
            rdsys::rd_kafka_topic_new(
                self.client.client().native_ptr(),
                name.as_ptr(),
                ptr::null_mut(),
            )
        };
        if rkt.is_null() {
            let code = unsafe { rdsys::rd_kafka_last_error() };
            return Err(KafkaError::MessageProduction(RDKafkaErrorCode::from(code)));
        }
        handles.insert(topic.to_string(), Handle(rkt));
        Ok(rkt)
    }

    /// Hands `record` to librdkafka (key and value copied), with `opaque`
    /// for its delivery report; refused, the opaque and headers come back.
    #[allow(clippy::result_large_err)]
    pub fn send<O: IntoOpaque>(
        &self,
        record: &Record<'_>,
        opaque: O,
        headers: Option<Headers>,
    ) -> Result<(), (KafkaError, O, Option<Headers>)> {
        let rkt = match self.handle(record.topic) {
            Ok(rkt) => rkt,
            Err(e) => return Err((e, opaque, headers)),
        };
        let bytes = |b: Option<&[u8]>| {
            b.map_or((ptr::null_mut(), 0), |b| {
                (b.as_ptr() as *mut std::ffi::c_void, b.len())
            })
        };
        let (value, value_len) = bytes(record.value);
        let (key, key_len) = bytes(record.key);
        let opaque_ptr = opaque.into_ptr();
        let hdrs = headers.as_ref().map_or(ptr::null_mut(), |h| h.0);
        let err = unsafe {
            rdsys::rd_kafka_producev(
                self.client.client().native_ptr(),
                RD_KAFKA_VTYPE_RKT,
                rkt,
                RD_KAFKA_VTYPE_PARTITION,
                record.partition,
                RD_KAFKA_VTYPE_MSGFLAGS,
                rdsys::RD_KAFKA_MSG_F_COPY,
                RD_KAFKA_VTYPE_VALUE,
                value,
                value_len,
                RD_KAFKA_VTYPE_KEY,
                key,
                key_len,
                RD_KAFKA_VTYPE_OPAQUE,
                opaque_ptr,
                RD_KAFKA_VTYPE_TIMESTAMP,
                record.timestamp,
                RD_KAFKA_VTYPE_HEADERS,
                hdrs,
                RD_KAFKA_VTYPE_END,
            )
        };
        if err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // librdkafka owns the headers now.
            if let Some(mut h) = headers {
                h.0 = ptr::null_mut();
            }
            Ok(())
        } else {
            let opaque = unsafe { O::from_ptr(opaque_ptr) };
            Err((
                KafkaError::MessageProduction(RDKafkaErrorCode::from(err)),
                opaque,
                headers,
            ))
        }
    }
}

impl<C: ProducerContext + 'static> Drop for Topics<C> {
    fn drop(&mut self) {
        for (_, h) in lock(&self.handles).drain() {
            unsafe { rdsys::rd_kafka_topic_destroy(h.0) }
        }
    }
}
