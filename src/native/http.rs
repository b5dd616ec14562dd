//! OTLP/HTTP over reqwest (rustls, no OpenSSL): one POST per encoded request body.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT,
};

use crate::config::Config;
use crate::error::StartError;
use crate::export::{parse_retry_after, PartialSuccess, SendError};
use crate::retry::{classify_status, StatusClass};

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

impl HttpTransport {
    pub(crate) fn new(config: &Config) -> Result<Self, StartError> {
        let url = reqwest::Url::parse(&config.endpoint).map_err(|error| {
            StartError::HttpClient(format!("endpoint {:?}: {error}", config.endpoint))
        })?;
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(config.protocol.content_type()),
        );
        if let Some(encoding) = config.compression.content_encoding() {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("otlp-collector/", env!("CARGO_PKG_VERSION"))),
        );
        for (name, value) in &config.headers {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|error| StartError::HttpClient(format!("header {name:?}: {error}")))?;
            let value = HeaderValue::try_from(value.as_str())
                .map_err(|error| StartError::HttpClient(format!("header {name:?}: {error}")))?;
            headers.insert(name, value);
        }
        let timeout = config.export_timeout;
        let client = reqwest::Client::builder()
            .timeout(config.export_timeout)
            .connect_timeout(config.export_timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|error| StartError::HttpClient(error.to_string()))?;
        Ok(HttpTransport {
            client,
            json: config.protocol.is_json(),
            url,
            headers,
            timeout,
        })
    }

    fn send_error(&self, error: &reqwest::Error) -> SendError {
        if error.is_timeout() {
            SendError::Timeout(self.timeout)
        } else {
            SendError::Network(describe(error))
        }
    }

    /// Sends one body (see [`Transport::send`](crate::export::Transport::send)).
    pub(crate) async fn send(&self, body: Bytes) -> Result<PartialSuccess, SendError> {
        let response = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await
            .map_err(|error| self.send_error(&error))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, crate::platform::now_unix_nanos()));
        // Read the body either way, so the connection can be reused.
        let body = response.bytes().await.unwrap_or_default();
        if classify_status(status) == StatusClass::Accepted {
            return Ok(PartialSuccess::from_response(&body, self.json));
        }
        let text = String::from_utf8_lossy(&body[..body.len().min(ERROR_BODY_LIMIT)]).into_owned();
        Err(SendError::Status {
            status,
            body: text,
            retry_after,
        })
    }
}

/// reqwest's error with its causes, e.g. "error sending request: connection refused".
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
