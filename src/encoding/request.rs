//! Turns a batch of spans into request bodies that respect the byte limit.
//!
//! A batch is encoded whole; a body over `max_request_bytes` is split in halves until every
//! part fits. A single span that cannot fit on its own is reported, not sent, so the caller
//! can count it as dropped.
//!
//! `max_request_bytes` counts the body before compression, as receivers count it: the
//! OpenTelemetry Collector's `max_request_body_size` limits the decompressed body (a 2 MB
//! request that gzips to 64 KB is still refused by a 1 MB limit). A caller's own `limit`
//! counts the bytes on the wire (the browser's keepalive budget).

use bytes::Bytes;

use super::{encode_batch, BatchSpan, Gzip, Protocol};
use crate::model::{Resource, Scope};

/// One HTTP request body, ready to send (and resend) without copying.
#[derive(Clone, Debug)]
pub(crate) struct EncodedRequest {
    pub(crate) body: Bytes,
    /// Where this request's spans start in the encoded slice, so a caller that cannot send
    /// it knows which spans to keep or split.
    pub(crate) first_span: usize,
    pub(crate) span_count: usize,
}

/// The bodies for one batch, and how many spans were too large to send at all.
#[derive(Debug, Default)]
pub(crate) struct EncodedBatch {
    pub(crate) requests: Vec<EncodedRequest>,
    pub(crate) too_large: usize,
}

/// Everything needed to turn spans into request bodies. `R` and `S` are the resource and scope as the spans' [`BatchSpan`] writes them: the
/// model's, or (in the browser core) encoded once.
#[derive(Clone, Debug)]
pub(crate) struct RequestEncoder<R = Resource, S = Scope> {
    pub(crate) protocol: Protocol,
    /// Compresses bodies when the configuration asks for gzip.
    pub(crate) gzip: Option<Gzip>,
    pub(crate) resource: R,
    pub(crate) scope: S,
    pub(crate) max_request_bytes: usize,
}

impl<R, S> RequestEncoder<R, S> {
    /// Encodes `spans`, splitting so that no body exceeds `max_request_bytes`.
    pub(crate) fn encode_batch<T: BatchSpan<Resource = R, Scope = S>>(
        &self,
        spans: &[T],
    ) -> EncodedBatch {
        self.encode_batch_within(spans, self.max_request_bytes)
    }

    /// Encodes `spans`, splitting so that no body exceeds `limit` bytes on the wire, nor
    /// `max_request_bytes` before compression.
    pub(crate) fn encode_batch_within<T: BatchSpan<Resource = R, Scope = S>>(
        &self,
        spans: &[T],
        limit: usize,
    ) -> EncodedBatch {
        let mut batch = EncodedBatch::default();
        if !spans.is_empty() {
            self.encode_into(spans, 0, limit, &mut batch);
        }
        batch
    }

    /// Encodes `spans`, which start at index `first_span` of the caller's slice.
    fn encode_into<T: BatchSpan<Resource = R, Scope = S>>(
        &self,
        spans: &[T],
        first_span: usize,
        limit: usize,
        batch: &mut EncodedBatch,
    ) {
        // Room for typical spans up front, so the body is not regrown a dozen times.
        let typical_span_bytes = if self.protocol.is_json() { 600 } else { 200 };
        let mut body = Vec::with_capacity(spans.len() * typical_span_bytes + 256);
        encode_batch(self.protocol, &self.resource, &self.scope, spans, &mut body);
        let within_receiver_limit = body.len() <= self.max_request_bytes;
        let body = match self.gzip {
            Some(gzip) if within_receiver_limit => gzip(&body),
            _ => body,
        };
        if within_receiver_limit && body.len() <= limit {
            batch.requests.push(EncodedRequest {
                body: Bytes::from(body),
                first_span,
                span_count: spans.len(),
            });
        } else if spans.len() == 1 {
            batch.too_large += 1;
        } else {
            let (left, right) = spans.split_at(spans.len() / 2);
            self.encode_into(left, first_span, limit, batch);
            self.encode_into(right, first_span + left.len(), limit, batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Span;

    fn encoder(max_request_bytes: usize) -> RequestEncoder {
        RequestEncoder {
            protocol: Protocol::HttpProtobuf,
            gzip: None,
            resource: Resource::new("test"),
            scope: Scope::default(),
            max_request_bytes,
        }
    }

    #[test]
    fn splits_batches_until_every_body_fits() {
        let spans: Vec<Span> = (0..100)
            .map(|i| Span::new("op").with_attribute("i", i).end())
            .collect();
        let whole = encoder(usize::MAX).encode_batch(&spans);
        assert_eq!(whole.requests.len(), 1);
        let limit = whole.requests[0].body.len() / 5;
        let split = encoder(limit).encode_batch(&spans);
        assert!(split.requests.len() >= 5);
        assert!(split.requests.iter().all(|r| r.body.len() <= limit));
        let mut next = 0;
        for request in &split.requests {
            assert_eq!(request.first_span, next);
            next += request.span_count;
        }
        assert_eq!(next, 100);
        assert_eq!(split.too_large, 0);
    }

    #[test]
    fn a_span_larger_than_the_limit_is_reported() {
        let spans = vec![
            Span::new("small").end(),
            Span::new("big")
                .with_attribute("blob", "x".repeat(10_000))
                .end(),
        ];
        let batch = encoder(2_000).encode_batch(&spans);
        assert_eq!(batch.too_large, 1);
        assert_eq!(batch.requests.len(), 1);
        assert_eq!(
            (batch.requests[0].first_span, batch.requests[0].span_count),
            (0, 1)
        );
    }

    #[test]
    fn the_request_limit_counts_the_body_before_compression() {
        // Stands in for gzip on repetitive text: a tenth of the size.
        fn shrink(body: &[u8]) -> Vec<u8> {
            body[..body.len() / 10].to_vec()
        }
        let spans: Vec<Span> = (0..100)
            .map(|i| {
                Span::new("op")
                    .with_attribute("padding", "p".repeat(100 + i))
                    .end()
            })
            .collect();
        let whole = encoder(usize::MAX).encode_batch(&spans).requests[0]
            .body
            .len();
        let limit = whole / 4;
        let compressing = RequestEncoder {
            gzip: Some(shrink),
            ..encoder(limit)
        };
        let split = compressing.encode_batch(&spans);
        // Compressed, the whole batch would fit; uncompressed it is four times the limit.
        assert!(
            split.requests.len() >= 4,
            "{} requests",
            split.requests.len()
        );
        assert!(split
            .requests
            .iter()
            .all(|r| r.body.len() * 10 <= limit + 10));
        // A wire budget (the browser's keepalive) still counts compressed bytes.
        let within_wire = compressing.encode_batch_within(&spans, whole / 80);
        assert!(within_wire
            .requests
            .iter()
            .all(|r| r.body.len() <= whole / 80));
    }
}
