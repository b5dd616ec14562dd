//! Span names, attribute keys and event names that JavaScript sends once and then refers
//! to by number in span records.
//!
//! The same few names and keys recur in almost every span. Read from a record as text, each
//! would cost an allocation and a UTF-8 check per span, and a free when the span is sent;
//! an interned one is a `&'static str` that costs neither. The table lives as long as the
//! module and only grows, so it is bounded: the first [`MAX_SYMBOLS`] texts of up to 64
//! UTF-16 units (`npm/src/record-writer.js` asks for no others) are interned, anything else travels as
//! text in each record.

use std::cell::RefCell;

/// How many texts the table holds at most.
const MAX_SYMBOLS: usize = 1024;

/// The longest text interned, in bytes: 64 UTF-16 units take at most 192 bytes of UTF-8.
const MAX_SYMBOL_BYTES: usize = 192;

thread_local! {
    static SYMBOLS: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

/// The number `text` is known by from now on, or `None` when the table is full (or the
/// text longer than `npm/src/record-writer.js` sends). JavaScript remembers the numbers it got and asks
/// once per text, so the table is not searched.
pub(crate) fn intern(text: &str) -> Option<u32> {
    if text.len() > MAX_SYMBOL_BYTES {
        return None;
    }
    SYMBOLS.with_borrow_mut(|symbols| {
        if symbols.len() >= MAX_SYMBOLS {
            return None;
        }
        symbols.push(Box::leak(text.into()));
        Some(symbols.len() as u32 - 1)
    })
}

/// The text interned as `id`.
pub(crate) fn symbol(id: u32) -> Option<&'static str> {
    SYMBOLS.with_borrow(|symbols| symbols.get(id as usize).copied())
}
