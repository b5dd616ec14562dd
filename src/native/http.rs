//! OTLP/HTTP over reqwest (rustls, no OpenSSL): one POST per encoded request body.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT,
};

use super::tls::{certificate_problem, with_certificates};
use crate::config::{redact_password, Destination, ExportSettings};
use crate::error::StartError;
use crate::export::retry::{classify_status, StatusClass};
use crate::export::{error_text, parse_retry_after, PartialSuccess, SendError};
use crate::model::error_chain;

pub(crate) struct HttpTransport {
    client: reqwest::Client,
    /// JSON responses come back to JSON requests.
    json: bool,
    url: reqwest::Url,
    headers: HeaderMap,
    timeout: Duration,
}

/// How much of an error response body we keep for the error message.
const ERROR_BODY_LIMIT: usize = 512;

/// The most of any response body we read: an OTLP response is a few bytes, and a hostile
/// or misconfigured server must not make us buffer a huge one.
const RESPONSE_BODY_LIMIT: usize = 64 * 1024;

impl HttpTransport {
    pub(crate) fn new(
        destination: &Destination,
        settings: &ExportSettings,
    ) -> Result<Self, StartError> {
        let url = reqwest::Url::parse(&destination.endpoint).map_err(|error| {
            StartError::Transport(format!(
                "endpoint {:?}: {error}",
                redact_password(&destination.endpoint)
            ))
        })?;
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(settings.protocol.content_type()),
        );
        if let Some(encoding) = settings.compression.content_encoding() {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("otlp-collector/", env!("CARGO_PKG_VERSION"))),
        );
        for (name, value) in &destination.headers {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|error| StartError::Transport(format!("header {name:?}: {error}")))?;
            let value = HeaderValue::try_from(value.as_str())
                .map_err(|error| StartError::Transport(format!("header {name:?}: {error}")))?;
            headers.insert(name, value);
        }
        let timeout = settings.timeout;
        let client = with_certificates(reqwest::Client::builder(), settings)?
            // A redirect would be followed as a body-less GET (301-303), or re-send the
            // spans and their credential headers to another origin (307/308). The
            // OpenTelemetry exporters do not follow them; a 3xx is a rejection naming where
            // it pointed.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|error| StartError::Transport(error.to_string()))?;
        Ok(HttpTransport {
            client,
            json: settings.protocol.is_json(),
            url,
            headers,
            timeout,
        })
    }

    fn send_error(&self, error: reqwest::Error) -> SendError {
        if error.is_timeout() {
            SendError::Timeout(self.timeout)
        } else if let Some(problem) = certificate_problem(&error) {
            SendError::Certificate(problem)
        } else {
            // reqwest's text names the URL, password and all; the destination is known.
            SendError::Network(error_chain(&error.without_url()))
        }
    }

    /// Sends one body (see [`Transport::send`](super::transport::Transport::send)).
    pub(crate) async fn send(&self, body: Bytes) -> Result<PartialSuccess, SendError> {
        let answer = self.exchange(body, RESPONSE_BODY_LIMIT).await?;
        Ok(PartialSuccess::from_response(&answer, self.json))
    }

    /// Posts one body and returns the first `limit` bytes of a 2xx answer's body, or the
    /// refusal as an error (what OpAMP's HTTP transport needs too).
    pub(crate) async fn exchange(&self, body: Bytes, limit: usize) -> Result<Vec<u8>, SendError> {
        let response = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await
            .map_err(|error| self.send_error(error))?;
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        let retry_after = header(reqwest::header::RETRY_AFTER)
            .and_then(|value| parse_retry_after(value, crate::platform::now_unix_nanos()));
        let location = header(reqwest::header::LOCATION).map(str::to_owned);
        let protobuf_answer = header(reqwest::header::CONTENT_TYPE)
            .is_some_and(|value| value.starts_with("application/x-protobuf"));
        let body = read_prefix(response, limit).await;
        if classify_status(status) == StatusClass::Accepted {
            return Ok(body);
        }
        let mut text = error_text(&body, protobuf_answer, ERROR_BODY_LIMIT);
        if let Some(location) = location.filter(|_| (300..400).contains(&status)) {
            text = format!("redirects are not followed (to {location:?}); set the endpoint to the final URL. {text}");
        }
        Err(SendError::Status {
            status,
            body: text,
            retry_after,
        })
    }
}

/// Reads at most `limit` bytes of a response body. A body read to its end lets the
/// connection be reused; a longer one is cut off, and its connection closed.
async fn read_prefix(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    body
}
