//! Where the JavaScript API's spans enter the core: the scratch buffer the record writer
//! (`npm/src/record-writer.js`) appends span records to, the symbol table of the names it
//! sends once, and `drain`, which encodes the records into the core's queue
//! (`record_protobuf.rs`), or reads them into spans where the rules or OTLP/JSON need them.
//! The core itself (`src/wasm/`) knows nothing of records.

use std::cell::RefCell;
use std::rc::Rc;

use super::record_protobuf::{encode_record, encode_resource};
use super::span_record::{read_attributes, read_span, split_records, RecordError};
use super::symbols;
use crate::error::CollectError;
use crate::js_boundary::{REFUSED_BAD_RECORD, REFUSED_BUFFER_FULL, REFUSED_SHUT_DOWN};
use crate::platform::handle::{handle_exports, Handle};
use crate::platform::{CollectorCore, CoreState};

/// Bytes of the scratch buffer before records need it to grow.
const SCRATCH_BYTES: usize = 4096;

/// The records the JavaScript API writes, on their way into a core. JavaScript holds it by
/// address, its methods exported as `intake_<method>` (see `src/wasm/handle.rs`); only
/// `npm/src/` calls them.
pub(crate) struct Intake {
    pub(super) core: Rc<CoreState>,
    /// Where the record writer appends span records until [`Intake::drain`].
    scratch: RefCell<Vec<u8>>,
    /// Where a record is encoded before it is queued.
    encoded: RefCell<Vec<u8>>,
}

impl Intake {
    pub(crate) fn new(core: Rc<CoreState>) -> Intake {
        Intake {
            core,
            scratch: RefCell::new(vec![0; SCRATCH_BYTES]),
            encoded: RefCell::new(Vec::new()),
        }
    }

    /// Collects one span record: encoded straight into OTLP/protobuf when the core can take
    /// it so, else read into a span (for the rules or OTLP/JSON).
    fn collect(&self, record: &[u8]) -> Result<Result<(), CollectError>, RecordError> {
        let state = &self.core;
        if !CoreState::encodes_records() {
            return Ok(state.accept(read_span(record, state.limits())?));
        }
        let mut encoded = self.encoded.borrow_mut();
        encoded.clear();
        let sampled = encode_record(record, state.limits(), &mut encoded)?;
        Ok(state.admit_encoded(&encoded, sampled))
    }
}

impl Handle for Intake {}

handle_exports! { Intake, "intake_free";
    "intake_scratchAddress" fn scratch_address() -> f64, freed 0.0;
    "intake_scratchLength" fn scratch_length() -> usize, freed 0;
    "intake_growScratch" fn grow_scratch(length: usize), freed ();
    "intake_core" fn core() -> usize, freed 0;
    "intake_exchange" fn exchange(length: usize) -> f64, freed 0.0;
    "intake_internSymbol" fn intern_symbol(length: usize) -> i32, freed -1;
    "intake_drain" fn drain(length: usize) -> u32, freed REFUSED_SHUT_DOWN;
    "intake_setResource" fn set_resource(length: usize) -> bool, freed false;
}

impl Intake {
    /// Where the scratch buffer starts in this module's memory (a double, as every address
    /// that crosses: see `CollectorCore::exchange`).
    fn scratch_address(&self) -> f64 {
        self.scratch.borrow().as_ptr() as usize as f64
    }

    /// The scratch buffer's size in bytes.
    fn scratch_length(&self) -> usize {
        self.scratch.borrow().len()
    }

    /// Grows the scratch buffer to at least `length` bytes, keeping what is written; it
    /// may move (read the address again).
    fn grow_scratch(&self, length: usize) {
        let mut scratch = self.scratch.borrow_mut();
        let length = length.max(scratch.len().saturating_mul(2));
        scratch.resize(length, 0);
    }

    /// The core `exporter.js` drives: the address of a handle of its own, freed apart.
    fn core(&self) -> usize {
        CollectorCore::new(Rc::clone(&self.core)).into_address()
    }

    /// The core's exchange buffer, at least `length` bytes long (see
    /// `CollectorCore::exchange`): texts JavaScript passes are written there.
    fn exchange(&self, length: usize) -> f64 {
        self.core.reserve_exchange(length) as f64
    }

    /// The number records may use for a text (a span name, attribute key or event name:
    /// `length` bytes of UTF-8 in the exchange buffer) from now on, or -1 when it is not
    /// interned (see symbols.rs).
    fn intern_symbol(&self, length: usize) -> i32 {
        let text = self.core.exchanged_text(length);
        symbols::intern(&text).map_or(-1, |id| id as i32)
    }

    /// Collects the spans recorded in the first `length` scratch bytes; every refused span
    /// is counted as dropped. Returns what was refused, as bits `npm/src/collector.js` turns into
    /// messages: [`REFUSED_BUFFER_FULL`], [`REFUSED_SHUT_DOWN`], [`REFUSED_BAD_RECORD`].
    fn drain(&self, length: usize) -> u32 {
        let scratch = self.scratch.borrow();
        let Some(records) = scratch.get(..length) else {
            return REFUSED_BAD_RECORD;
        };
        let mut refused = 0;
        for record in split_records(records) {
            refused |= match record.and_then(|record| self.collect(record)) {
                Ok(Ok(())) => 0,
                Ok(Err(CollectError::BufferFull { .. })) => REFUSED_BUFFER_FULL,
                Ok(Err(CollectError::ShutDown)) => REFUSED_SHUT_DOWN,
                Err(_) => REFUSED_BAD_RECORD,
            };
        }
        refused
    }

    /// Sets the resource attributes recorded in the first `length` scratch bytes (an
    /// attributes block, as in a span record); returns whether they could be read.
    fn set_resource(&self, length: usize) -> bool {
        let scratch = self.scratch.borrow();
        let Some(block) = scratch.get(..length) else {
            return false;
        };
        if CoreState::encodes_records() {
            let Ok(resource) = encode_resource(block) else {
                return false;
            };
            self.core.set_encoded_head(&resource, None);
            return true;
        }
        let Ok(attributes) = read_attributes(block) else {
            return false;
        };
        for (key, value) in attributes {
            self.core.set_resource_attribute(key, value);
        }
        true
    }
}
