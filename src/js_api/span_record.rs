//! Reads the byte record `npm/src/record-writer.js` writes when a JavaScript span ends, into a [`Span`].
//!
//! The JavaScript API records an open span in JavaScript; `end()` appends this record to a
//! scratch buffer that Rust drains a few spans at a time. Each record is a u32 byte count
//! and that many bytes, laid out so (little-endian; ids big-endian, as printed):
//!
//! ```text
//! u8 kind (OTLP code) · u8 trace flags · u8 parent (0 none, 1 local, 2 remote) · u8 status
//! trace id (16) · span id (8) · [parent span id (8)] · string trace state ('' for none)
//! f64 start ms · f64 end ms (since the Unix epoch)
//! symbol name · [string status message, when the status is error]
//! attributes · u32 attributes refused in JavaScript (counted as dropped)
//! u32 event count · events (symbol name, f64 time ms, attributes)
//! u32 link count · links (trace id (16), span id (8), u8 flags, string trace state, attributes)
//! attributes = u32 count · (symbol key, value)…
//! value      = u8 tag: 0 string · 1 bool (u8) · 2 int (f64) · 3 double (f64) · 4 array (u32 count · value…)
//! string     = u32 byte length · UTF-8
//! symbol     = u32 (id << 1 | 1): the text interned as id (symbols.rs)
//!            | u32 (byte length << 1) · UTF-8
//! ```
//! Limits apply as the record is read, as they do for spans built in Rust.

use std::borrow::Cow;

use super::symbols::symbol;
use crate::js_boundary::{
    LOCAL_PARENT, NO_PARENT, REMOTE_PARENT, STATUS_ERROR, STATUS_OK, STATUS_UNSET, TAG_ARRAY,
    TAG_BOOL, TAG_DOUBLE, TAG_INT, TAG_STRING,
};
use crate::model::{
    Attributes, Event, Link, Span, SpanContext, SpanId, SpanKind, SpanLimits, SpanStatus, TraceId,
    Value,
};

/// Why a record could not be read: a mismatch between `npm/src/record-writer.js` and this reader, never
/// something a user's input can cause.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordError {
    /// The record stopped before a field it announced.
    #[error("span record ended early at byte {0}")]
    Truncated(usize),
    /// A byte with no meaning at its place.
    #[error("span record has an unknown {what} {value} at byte {at}")]
    Unknown {
        what: &'static str,
        value: u8,
        at: usize,
    },
    /// A string that is not UTF-8.
    #[error("span record has text that is not UTF-8 at byte {0}")]
    NotUtf8(usize),
    /// An all-zero trace or span id.
    #[error("span record has an all-zero id")]
    ZeroId,
    /// A reference to a symbol that was never interned.
    #[error("span record refers to unknown symbol {id} at byte {at}")]
    UnknownSymbol { id: u32, at: usize },
}

/// The records in `bytes`, each a u32 byte count and that many bytes; stops after the
/// first one whose count runs past the end.
pub(crate) fn split_records(bytes: &[u8]) -> impl Iterator<Item = Result<&[u8], RecordError>> {
    let mut reader = Reader {
        record: bytes,
        at: 0,
    };
    std::iter::from_fn(move || {
        if reader.at >= reader.record.len() {
            return None;
        }
        let record = reader
            .u32()
            .and_then(|length| reader.bytes(length as usize));
        if record.is_err() {
            reader.at = reader.record.len();
        }
        Some(record)
    })
}

/// The fixed start of a span record, up to its name.
pub(super) struct Header<'a> {
    pub(super) kind: SpanKind,
    pub(super) trace_flags: u8,
    /// [`STATUS_UNSET`], [`STATUS_OK`] or [`STATUS_ERROR`] (its message follows the name).
    pub(super) status: u8,
    pub(super) trace_id: TraceId,
    pub(super) span_id: SpanId,
    /// The parent span's id, and whether it is remote.
    pub(super) parent: Option<(SpanId, bool)>,
    pub(super) trace_state: &'a str,
    pub(super) start: u64,
    /// As written: a span ends no earlier than it starts once it is made.
    pub(super) end: u64,
}

/// Reads a record's [`Header`].
pub(super) fn read_header<'a>(reader: &mut Reader<'a>) -> Result<Header<'a>, RecordError> {
    let kind = span_kind(reader)?;
    let trace_flags = reader.u8()?;
    let parent_at = reader.at;
    let parent = reader.u8()?;
    let status_at = reader.at;
    let status = reader.u8()?;
    if ![STATUS_UNSET, STATUS_OK, STATUS_ERROR].contains(&status) {
        return Err(unknown("status", status, status_at));
    }
    let zero = |_| RecordError::ZeroId;
    let trace_id = TraceId::from_bytes(reader.array()?).map_err(zero)?;
    let span_id = SpanId::from_bytes(reader.array()?).map_err(zero)?;
    let parent = match parent {
        NO_PARENT => None,
        LOCAL_PARENT | REMOTE_PARENT => Some((
            SpanId::from_bytes(reader.array()?).map_err(zero)?,
            parent == REMOTE_PARENT,
        )),
        value => return Err(unknown("parent state", value, parent_at)),
    };
    Ok(Header {
        kind,
        trace_flags,
        status,
        trace_id,
        span_id,
        parent,
        trace_state: reader.str()?,
        start: unix_nanos(reader.f64()?),
        end: unix_nanos(reader.f64()?),
    })
}

/// Reads one span record, applying `limits` to what it adds.
pub(crate) fn read_span(record: &[u8], limits: SpanLimits) -> Result<Span, RecordError> {
    let mut reader = Reader { record, at: 0 };
    let header = read_header(&mut reader)?;
    let parent = header.parent;
    let mut span = Span {
        trace_id: header.trace_id,
        span_id: header.span_id,
        parent_span_id: parent.map(|(parent_span_id, _)| parent_span_id),
        parent_is_remote: parent.map(|(_, is_remote)| is_remote),
        trace_flags: header.trace_flags,
        name: reader.symbol()?,
        kind: header.kind,
        start_time_unix_nano: header.start,
        end_time_unix_nano: 0,
        attributes: Attributes::default(),
        status: Default::default(),
        extras: None,
    }
    .with_limits(limits);
    if !header.trace_state.is_empty() {
        span = span.with_trace_state(header.trace_state.to_owned());
    }
    match header.status {
        STATUS_OK => span.set_status(SpanStatus::Ok),
        STATUS_ERROR => span.set_status(SpanStatus::error(reader.string()?)),
        _ => {}
    }
    for _ in 0..reader.u32()? {
        let key = reader.symbol()?;
        let value = Value::from(reader.value(true)?);
        span.set_attribute(key, value);
    }
    span.attributes.record_dropped(reader.u32()?);
    for _ in 0..reader.u32()? {
        let mut event = Event::new(reader.symbol()?).with_time(unix_nanos(reader.f64()?));
        for _ in 0..reader.u32()? {
            let key = reader.symbol()?;
            event = event.with_attribute(key, Value::from(reader.value(true)?));
        }
        span.add_event(event);
    }
    for _ in 0..reader.u32()? {
        let trace_id = TraceId::from_bytes(reader.array()?).map_err(|_| RecordError::ZeroId)?;
        let span_id = SpanId::from_bytes(reader.array()?).map_err(|_| RecordError::ZeroId)?;
        let trace_flags = reader.u8()?;
        let trace_state = reader.string()?;
        let mut link = Link::new(SpanContext {
            trace_id,
            span_id,
            trace_flags,
            trace_state: (!trace_state.is_empty()).then(|| trace_state.into()),
            is_remote: false,
        });
        for _ in 0..reader.u32()? {
            let key = reader.symbol()?;
            link = link.with_attribute(key, Value::from(reader.value(true)?));
        }
        span.add_link(link);
    }
    Ok(span.end_at(header.end))
}

/// Reads an attributes block alone (the resource's, from `npm/src/record-writer.js`).
pub(crate) fn read_attributes(
    record: &[u8],
) -> Result<Vec<(Cow<'static, str>, Value)>, RecordError> {
    let mut reader = Reader { record, at: 0 };
    let mut attributes = Vec::new();
    for _ in 0..reader.u32()? {
        let key = reader.symbol()?;
        attributes.push((key, Value::from(reader.value(true)?)));
    }
    Ok(attributes)
}

fn span_kind(reader: &mut Reader) -> Result<SpanKind, RecordError> {
    let at = reader.at;
    Ok(match reader.u8()? {
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        value => return Err(unknown("span kind", value, at)),
    })
}

pub(super) fn unknown(what: &'static str, value: u8, at: usize) -> RecordError {
    RecordError::Unknown { what, value, at }
}

/// Milliseconds since the epoch (with a fraction) as nanoseconds; the whole milliseconds
/// and the fraction are converted apart, so no precision is lost to the large product.
pub(super) fn unix_nanos(millis: f64) -> u64 {
    let whole = millis.floor();
    (whole as u64)
        .saturating_mul(1_000_000)
        .saturating_add(((millis - whole) * 1_000_000.0) as u64)
}

/// An attribute value as the record holds it, borrowed.
#[derive(Clone, Copy)]
pub(super) enum RecordValue<'a> {
    Text(&'a str),
    Bool(bool),
    Int(i64),
    Double(f64),
    /// `count` values, already checked, in `items`.
    Array {
        count: u32,
        items: &'a [u8],
    },
}

impl<'a> RecordValue<'a> {
    /// The values of an array (none for a scalar).
    pub(super) fn items(self) -> impl Iterator<Item = RecordValue<'a>> {
        let (count, items) = match self {
            RecordValue::Array { count, items } => (count, items),
            _ => (0, &[][..]),
        };
        let mut reader = Reader::new(items);
        // Checked when the record was read: these cannot fail.
        (0..count).map_while(move |_| reader.value(false).ok())
    }
}

impl From<RecordValue<'_>> for Value {
    fn from(value: RecordValue<'_>) -> Value {
        match value {
            RecordValue::Text(text) => Value::from(text.to_owned()),
            RecordValue::Bool(flag) => Value::Bool(flag),
            RecordValue::Int(int) => Value::Int(int),
            RecordValue::Double(double) => Value::Double(double),
            RecordValue::Array { .. } => Value::Array(value.items().map(Value::from).collect()),
        }
    }
}

/// Reads a record's fields in order, each checked against what is left of the record.
pub(super) struct Reader<'a> {
    record: &'a [u8],
    pub(super) at: usize,
}

// The small readers are inlined by force: the package is built for size, and a call per
// byte read made reading records cost more than everything else collect does.
impl<'a> Reader<'a> {
    pub(super) fn new(record: &'a [u8]) -> Self {
        Reader { record, at: 0 }
    }

    #[inline(always)]
    pub(super) fn bytes(&mut self, count: usize) -> Result<&'a [u8], RecordError> {
        let bytes = self
            .record
            .get(self.at..)
            .and_then(|rest| rest.get(..count))
            .ok_or(RecordError::Truncated(self.at))?;
        self.at += count;
        Ok(bytes)
    }

    #[inline(always)]
    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        let array = *self
            .record
            .get(self.at..)
            .and_then(|rest| rest.first_chunk::<N>())
            .ok_or(RecordError::Truncated(self.at))?;
        self.at += N;
        Ok(array)
    }

    #[inline(always)]
    pub(super) fn u8(&mut self) -> Result<u8, RecordError> {
        let byte = *self
            .record
            .get(self.at)
            .ok_or(RecordError::Truncated(self.at))?;
        self.at += 1;
        Ok(byte)
    }

    #[inline(always)]
    pub(super) fn u32(&mut self) -> Result<u32, RecordError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    #[inline(always)]
    pub(super) fn f64(&mut self) -> Result<f64, RecordError> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    fn string(&mut self) -> Result<String, RecordError> {
        self.str().map(str::to_owned)
    }

    /// A string, borrowed from the record.
    pub(super) fn str(&mut self) -> Result<&'a str, RecordError> {
        let length = self.u32()? as usize;
        self.text(length)
    }

    fn text(&mut self, length: usize) -> Result<&'a str, RecordError> {
        let at = self.at;
        std::str::from_utf8(self.bytes(length)?).map_err(|_| RecordError::NotUtf8(at))
    }

    /// The bytes read since `start`.
    pub(super) fn since(&self, start: usize) -> &'a [u8] {
        self.record.get(start..self.at).unwrap_or_default()
    }

    /// An id that must not be all zeros.
    pub(super) fn id<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        let id = self.array::<N>()?;
        if id == [0; N] {
            return Err(RecordError::ZeroId);
        }
        Ok(id)
    }

    /// A name or key: interned (`Ok`), or as text in the record (`Err`).
    fn name(&mut self) -> Result<Result<&'static str, &'a str>, RecordError> {
        let at = self.at;
        let header = self.u32()?;
        if header & 1 == 0 {
            return Ok(Err(self.text((header >> 1) as usize)?));
        }
        let id = header >> 1;
        symbol(id)
            .map(Ok)
            .ok_or(RecordError::UnknownSymbol { id, at })
    }

    /// A name or key: interned (no allocation) or copied from the record.
    fn symbol(&mut self) -> Result<Cow<'static, str>, RecordError> {
        Ok(match self.name()? {
            Ok(interned) => Cow::Borrowed(interned),
            Err(text) => Cow::Owned(text.to_owned()),
        })
    }

    /// A name or key, borrowed.
    pub(super) fn symbol_str(&mut self) -> Result<&'a str, RecordError> {
        Ok(self.name()?.unwrap_or_else(|text| text))
    }

    /// A value; arrays only at the top (`may_be_array`), as the record writer writes them
    /// (OTLP's attribute values nest no deeper here).
    pub(super) fn value(&mut self, may_be_array: bool) -> Result<RecordValue<'a>, RecordError> {
        let at = self.at;
        Ok(match self.u8()? {
            TAG_STRING => RecordValue::Text(self.str()?),
            TAG_BOOL => RecordValue::Bool(self.u8()? != 0),
            TAG_INT => RecordValue::Int(self.f64()? as i64),
            TAG_DOUBLE => RecordValue::Double(self.f64()?),
            TAG_ARRAY if may_be_array => {
                let count = self.u32()?;
                let start = self.at;
                for _ in 0..count {
                    self.value(false)?;
                }
                RecordValue::Array {
                    count,
                    items: self.since(start),
                }
            }
            tag => return Err(unknown("value tag", tag, at)),
        })
    }
}
