//! OTLP/HTTP over the global `fetch` (pages, workers and Node), with an abort on timeout.

use std::time::Duration;

use bytes::Bytes;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestInit, RequestRedirect, Response};

use super::runtime::{first_of, sleep, First};
use crate::config::Config;
use crate::export::{parse_retry_after, PartialSuccess, SendError, Transport};
use crate::retry::{classify_status, StatusClass};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, reached through the global scope rather than `window`, so the
    /// collector also works in workers and Node.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> js_sys::Promise;
}

/// How much of an error response body we keep for the error message.
const ERROR_BODY_LIMIT: usize = 512;

/// The most of any response body we read: an OTLP response is a few bytes, and a hostile
/// or misconfigured server must not make the page buffer a huge (or endless) one.
const RESPONSE_BODY_LIMIT: usize = 64 * 1024;

#[wasm_bindgen]
extern "C" {
    /// A response body's `ReadableStream`.
    type BodyStream;
    #[wasm_bindgen(method, catch, js_name = getReader)]
    fn get_reader(this: &BodyStream) -> Result<BodyReader, JsValue>;

    /// Its default reader.
    type BodyReader;
    #[wasm_bindgen(method)]
    fn read(this: &BodyReader) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn cancel(this: &BodyReader) -> js_sys::Promise;

    /// One `read()` result.
    type BodyChunk;
    #[wasm_bindgen(method, getter)]
    fn done(this: &BodyChunk) -> bool;
    #[wasm_bindgen(method, getter)]
    fn value(this: &BodyChunk) -> Option<js_sys::Uint8Array>;
}

pub(crate) struct FetchTransport {
    url: String,
    /// JSON responses come back to JSON requests.
    json: bool,
    headers: Vec<(String, String)>,
    timeout: Duration,
}

impl FetchTransport {
    pub(crate) fn new(config: &Config) -> Self {
        let mut headers = vec![(
            "content-type".to_owned(),
            config.protocol.content_type().to_owned(),
        )];
        if let Some(encoding) = config.compression.content_encoding() {
            headers.push(("content-encoding".to_owned(), encoding.to_owned()));
        }
        headers.extend(config.headers.iter().cloned());
        FetchTransport {
            url: config.endpoint.clone(),
            json: config.protocol.is_json(),
            headers,
            timeout: config.export_timeout,
        }
    }

    /// Starts a `keepalive` POST that the browser completes even if the page unloads. It
    /// must start synchronously inside the `pagehide` handler, so this returns the promise.
    pub(crate) fn start_keepalive(&self, body: &[u8]) -> Result<js_sys::Promise, SendError> {
        let init = self.request_init(body, None)?;
        // web-sys has no setter for `keepalive` yet; it is a plain RequestInit field.
        js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE)
            .map_err(network_error)?;
        Ok(global_fetch(&self.url, &init))
    }

    fn request_init(
        &self,
        body: &[u8],
        controller: Option<&AbortController>,
    ) -> Result<RequestInit, SendError> {
        let init = RequestInit::new();
        init.set_method("POST");
        // Never follow a redirect (it would re-send the spans and headers elsewhere, or
        // turn into a GET): a browser answers it as an opaque response of status 0, which
        // `response_outcome` rejects.
        init.set_redirect(RequestRedirect::Manual);
        let headers = Headers::new().map_err(network_error)?;
        for (name, value) in &self.headers {
            headers.set(name, value).map_err(network_error)?;
        }
        init.set_headers(&headers);
        init.set_body(&js_sys::Uint8Array::from(body));
        init.set_signal(controller.map(|controller| controller.signal()).as_ref());
        Ok(init)
    }
}

impl Transport for FetchTransport {
    async fn send(&self, body: Bytes) -> Result<PartialSuccess, SendError> {
        let controller = AbortController::new().ok();
        let init = self.request_init(&body, controller.as_ref())?;
        let response = match first_of(
            JsFuture::from(global_fetch(&self.url, &init)),
            sleep(self.timeout),
        )
        .await
        {
            First::Left(response) => response.map_err(network_error)?,
            First::Right(()) => {
                if let Some(controller) = controller {
                    controller.abort();
                }
                return Err(SendError::Timeout(self.timeout));
            }
        };
        response_outcome(response, self.json).await
    }

    async fn wait(&self, duration: Duration) {
        sleep(duration).await;
    }
}

/// The partial success of a 2xx response; otherwise the status, `Retry-After` and the
/// start of the body.
pub(crate) async fn response_outcome(
    response: JsValue,
    json: bool,
) -> Result<PartialSuccess, SendError> {
    let response: Response = response.unchecked_into();
    let status = response.status();
    let body = read_prefix(&response, RESPONSE_BODY_LIMIT).await;
    if classify_status(status) == StatusClass::Accepted {
        return Ok(PartialSuccess::from_response(&body, json));
    }
    // Readable cross-origin only if the server lists it in Access-Control-Expose-Headers.
    let retry_after = response
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|value| parse_retry_after(&value, crate::platform::now_unix_nanos()));
    let shown = &body[..body.len().min(ERROR_BODY_LIMIT)];
    let mut body = String::from_utf8_lossy(shown).into_owned();
    if status == 0 || (300..400).contains(&status) {
        body = "the endpoint redirected, and redirects are not followed: set the endpoint to the final URL".to_owned();
    }
    Err(SendError::Status {
        status,
        body,
        retry_after,
    })
}

/// Reads at most `limit` bytes of `response`'s body, then cancels the rest of it.
async fn read_prefix(response: &Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    let stream = js_sys::Reflect::get(response, &JsValue::from_str("body")).unwrap_or_default();
    if stream.is_null() || stream.is_undefined() {
        return body;
    }
    let Ok(reader) = stream.unchecked_into::<BodyStream>().get_reader() else {
        return body;
    };
    while body.len() < limit {
        let Ok(chunk) = JsFuture::from(reader.read()).await else {
            return body;
        };
        let chunk: BodyChunk = chunk.unchecked_into();
        if chunk.done() {
            return body;
        }
        if let Some(bytes) = chunk.value() {
            let take = (bytes.length() as usize).min(limit - body.len());
            body.extend(bytes.subarray(0, take as u32).to_vec());
        }
    }
    // Stops the download; the rest is never buffered.
    let _ = JsFuture::from(reader.cancel()).await;
    body
}

/// A JavaScript exception (e.g. `TypeError: Failed to fetch`) as a network error.
pub(crate) fn network_error(error: JsValue) -> SendError {
    let message = js_sys::Reflect::get(&error, &JsValue::from_str("message"))
        .ok()
        .and_then(|message| message.as_string())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "fetch failed".to_owned());
    SendError::Network(message)
}
