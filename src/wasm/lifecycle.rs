//! Page lifecycle: a page can be hidden or closed at any moment, and ordinary requests die
//! with it. On `visibilitychange` to hidden and on `pagehide` the collector sends what it
//! has buffered with `fetch(…, { keepalive: true })`, which the browser finishes after the
//! page is gone. Browsers cap keepalive requests at 64 KiB of bodies in flight in total and
//! limit how many may be pending; we keep to what OpenTelemetry JS and Grafana Faro use.
//!
//! In Node and in workers there is no `document`: only what exists is listened to.

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Bytes of keepalive request bodies in flight at most: under the browsers' 64 KiB, with
/// room for what else a page may send with keepalive (as OpenTelemetry JS and Faro do).
pub(crate) const KEEPALIVE_BUDGET: usize = 60_000;

/// Keepalive requests pending at most (OpenTelemetry JS's and Faro's limit).
pub(crate) const MAX_KEEPALIVE_REQUESTS: usize = 9;

/// Why the page may be going away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PageEvent {
    /// Hidden (tab switched, minimised, or about to close): it may come back.
    Hidden,
    /// Being unloaded (or put in the back/forward cache).
    Unloading,
}

/// The registered listeners; removed again when dropped.
pub(crate) struct PageListeners {
    registrations: Vec<(JsValue, &'static str)>,
    handler: Closure<dyn FnMut(JsValue)>,
}

fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(target, &JsValue::from_str(key))
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

fn call_listener_method(target: &JsValue, method: &str, event: &str, handler: &Function) -> bool {
    match get(target, method).and_then(|method| method.dyn_into::<Function>().ok()) {
        Some(method) => method
            .call2(target, &JsValue::from_str(event), handler)
            .is_ok(),
        None => false,
    }
}

impl PageListeners {
    /// Calls `on_event` on `pagehide` (global scope) and on `visibilitychange` to hidden
    /// (document), where those exist.
    pub(crate) fn watch(mut on_event: impl FnMut(PageEvent) + 'static) -> PageListeners {
        let global = js_sys::global();
        let document = get(&global, "document");
        let visibility_source = document.clone();
        let handler = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let kind = get(&event, "type").and_then(|kind| kind.as_string());
            if kind.as_deref() == Some("pagehide") {
                on_event(PageEvent::Unloading);
                return;
            }
            let hidden = visibility_source
                .as_ref()
                .and_then(|document| get(document, "visibilityState"))
                .and_then(|state| state.as_string());
            if hidden.as_deref() == Some("hidden") {
                on_event(PageEvent::Hidden);
            }
        });
        let function: &Function = handler.as_ref().unchecked_ref();
        let mut registrations = Vec::new();
        if call_listener_method(&global, "addEventListener", "pagehide", function) {
            registrations.push((global.into(), "pagehide"));
        }
        if let Some(document) = document {
            if call_listener_method(&document, "addEventListener", "visibilitychange", function) {
                registrations.push((document, "visibilitychange"));
            }
        }
        PageListeners {
            registrations,
            handler,
        }
    }
}

impl Drop for PageListeners {
    fn drop(&mut self) {
        let function: &Function = self.handler.as_ref().unchecked_ref();
        for (target, event) in &self.registrations {
            call_listener_method(target, "removeEventListener", event, function);
        }
    }
}
