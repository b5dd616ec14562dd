//! A compact gzip encoder for the browser build, where every kilobyte of code is paid for
//! on each page load: LZ77 with a one-candidate hash table and deflate's fixed Huffman
//! codes (RFC 1951 §3.2.6), in the gzip container of RFC 1952.
//!
//! A general-purpose deflate (miniz_oxide) added ~13 KB gzip to the package; this adds
//! about 1 KB and still shrinks OTLP bodies several times, because their redundancy is
//! repeated keys, names and ids — long matches — which fixed codes carry well. Natively
//! flate2 does the job (see `native/gzip.rs`); this module is shared code so its tests run
//! natively, against flate2's decoder.

/// gzip header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// Deflate's window: matches reach at most this far back.
const WINDOW: usize = 32 * 1024;
const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
const HASH_BITS: u32 = 14;

/// Compresses `body` into a gzip member.
pub(crate) fn compact_gzip(body: &[u8]) -> Vec<u8> {
    let mut out = BitWriter {
        bytes: Vec::with_capacity(HEADER.len() + body.len() / 3 + 16),
        pending: 0,
        pending_bits: 0,
    };
    out.bytes.extend_from_slice(&HEADER);
    deflate_fixed(body, &mut out);
    let mut bytes = out.finish();
    bytes.extend_from_slice(&crc32(body).to_le_bytes());
    // ISIZE is the input length modulo 2^32, as the format defines it.
    bytes.extend_from_slice(&(body.len() as u32).to_le_bytes());
    bytes
}

/// Deflate's bit order: values fill each byte from its least significant bit.
struct BitWriter {
    bytes: Vec<u8>,
    pending: u64,
    pending_bits: u32,
}

impl BitWriter {
    /// Appends the low `count` bits of `value` (`count` ≤ 32).
    fn bits(&mut self, value: u32, count: u32) {
        self.pending |= (value as u64) << self.pending_bits;
        self.pending_bits += count;
        while self.pending_bits >= 8 {
            self.bytes.push(self.pending as u8);
            self.pending >>= 8;
            self.pending_bits -= 8;
        }
    }

    /// Appends a Huffman code, which deflate stores most significant bit first.
    fn code(&mut self, code: u32, length: u32) {
        self.bits(code.reverse_bits() >> (32 - length), length);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.pending_bits > 0 {
            self.bytes.push(self.pending as u8);
        }
        self.bytes
    }
}

/// One final block with fixed Huffman codes holding all of `input`.
fn deflate_fixed(input: &[u8], out: &mut BitWriter) {
    out.bits(1, 1); // BFINAL
    out.bits(1, 2); // BTYPE = 01, fixed codes
                    // Position + 1 of the last place each 3-byte hash was seen (0 = never).
    let mut last_seen = vec![0u32; 1 << HASH_BITS];
    let mut position = 0;
    while position < input.len() {
        let found = if position + MIN_MATCH <= input.len() {
            let slot = hash(&input[position..]);
            let candidate = last_seen[slot] as usize;
            last_seen[slot] = position as u32 + 1;
            (candidate > 0 && position - (candidate - 1) <= WINDOW)
                .then(|| {
                    let start = candidate - 1;
                    (match_length(input, start, position), position - start)
                })
                .filter(|&(length, _)| length >= MIN_MATCH)
        } else {
            None
        };
        match found {
            Some((length, distance)) => {
                write_match(out, length, distance);
                // Index the positions inside the match too, so later data can refer back.
                let end = position + length;
                for inside in position + 1..end.min(input.len().saturating_sub(MIN_MATCH - 1)) {
                    last_seen[hash(&input[inside..])] = inside as u32 + 1;
                }
                position = end;
            }
            None => {
                write_literal(out, input[position]);
                position += 1;
            }
        }
    }
    out.code(0, 7); // end of block (symbol 256)
}

fn hash(bytes: &[u8]) -> usize {
    let key = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], 0]);
    (key.wrapping_mul(0x9e37_79b1) >> (32 - HASH_BITS)) as usize
}

/// How many bytes from `earlier` repeat at `current`, up to deflate's longest match.
fn match_length(input: &[u8], earlier: usize, current: usize) -> usize {
    let limit = MAX_MATCH.min(input.len() - current);
    (0..limit)
        .take_while(|&offset| input[earlier + offset] == input[current + offset])
        .count()
}

/// A literal byte in the fixed literal/length code.
fn write_literal(out: &mut BitWriter, byte: u8) {
    match byte {
        0..=143 => out.code(0x30 + byte as u32, 8),
        144..=255 => out.code(0x190 + (byte as u32 - 144), 9),
    }
}

/// Length codes 257–285: base length and extra bits.
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Distance codes 0–29: base distance and extra bits.
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// The last table entry whose base is at most `value`.
fn code_index(bases: &[u16], value: usize) -> usize {
    bases.partition_point(|&base| base as usize <= value) - 1
}

/// A back-reference: `length` bytes from `distance` bytes back.
fn write_match(out: &mut BitWriter, length: usize, distance: usize) {
    let index = code_index(&LENGTH_BASE, length);
    let symbol = 257 + index as u32;
    if symbol <= 279 {
        out.code(symbol - 256, 7);
    } else {
        out.code(0xc0 + (symbol - 280), 8);
    }
    out.bits(
        (length - LENGTH_BASE[index] as usize) as u32,
        LENGTH_EXTRA[index] as u32,
    );
    let index = code_index(&DISTANCE_BASE, distance);
    out.code(index as u32, 5);
    out.bits(
        (distance - DISTANCE_BASE[index] as usize) as u32,
        DISTANCE_EXTRA[index] as u32,
    );
}

/// CRC-32 (IEEE, reflected, as gzip uses), a byte at a time from a 1 KiB table built for
/// each body: 2,048 steps, nothing beside compressing it, where a table built at compile
/// time would add 1 KiB of incompressible data to the browser package.
fn crc32(bytes: &[u8]) -> u32 {
    let table = crc_table();
    let mut crc = !0u32;
    for &byte in bytes {
        crc = table[((crc ^ byte as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut index = 0;
    while index < 256 {
        let mut value = index as u32;
        let mut bit = 0;
        while bit < 8 {
            value = if value & 1 == 1 {
                0xedb8_8320 ^ (value >> 1)
            } else {
                value >> 1
            };
            bit += 1;
        }
        table[index] = value;
        index += 1;
    }
    table
}

// The tests decode with flate2 and use proptest, both native-only dependencies.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::encoding::{encode, Protocol};
    use crate::model::{Resource, Scope, Span};
    use proptest::prelude::*;
    use std::io::Read;

    /// Inflates with flate2, which also checks the CRC-32 and the length.
    fn gunzip(compressed: &[u8]) -> Vec<u8> {
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(compressed)
            .read_to_end(&mut inflated)
            .expect("a valid gzip member");
        inflated
    }

    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn edge_inputs_round_trip() {
        let long_run = vec![b'a'; 100_000];
        let all_bytes: Vec<u8> = (0..=255).collect();
        // Distances at the window's edge: a block repeated exactly 32 KiB later.
        let mut far = (0..WINDOW as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect::<Vec<_>>();
        far.extend_from_within(..1000);
        for input in [
            &b""[..],
            b"a",
            b"ab",
            b"abc",
            b"abcabcabc",
            &long_run,
            &all_bytes,
            &far,
        ] {
            assert_eq!(gunzip(&compact_gzip(input)), input, "{} bytes", input.len());
        }
    }

    #[test]
    fn otlp_bodies_shrink_several_times() {
        let spans: Vec<Span> = (0..512)
            .map(|i| {
                Span::new("GET /api/cart")
                    .with_attribute("http.request.method", "GET")
                    .with_attribute("http.response.status_code", 200)
                    .with_attribute("cart.items", i)
                    .with_attribute("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)")
                    .end()
            })
            .collect();
        let json = cfg!(feature = "json").then_some(Protocol::HttpJson);
        for protocol in [Protocol::HttpProtobuf].into_iter().chain(json) {
            let mut body = Vec::new();
            encode(
                protocol,
                &Resource::new("shop-web"),
                &Scope::default(),
                &spans,
                &mut body,
            );
            let compressed = compact_gzip(&body);
            assert_eq!(gunzip(&compressed), body);
            assert!(
                compressed.len() * 3 < body.len(),
                "{protocol:?}: {} → {} bytes",
                body.len(),
                compressed.len()
            );
        }
    }

    proptest! {
        #[test]
        fn any_bytes_round_trip(input in proptest::collection::vec(any::<u8>(), 0..5000)) {
            prop_assert_eq!(gunzip(&compact_gzip(&input)), input);
        }

        #[test]
        fn repetitive_bytes_round_trip(
            alphabet in proptest::collection::vec(any::<u8>(), 1..4),
            picks in proptest::collection::vec(any::<usize>(), 0..20_000),
        ) {
            let input: Vec<u8> = picks.iter().map(|pick| alphabet[pick % alphabet.len()]).collect();
            prop_assert_eq!(gunzip(&compact_gzip(&input)), input);
        }
    }
}
