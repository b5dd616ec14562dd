//! What an OpAMP server may change, read from the remote configuration's JSON body — a
//! deliberately small set (see the README's schema): the sampler, span limits, the OTTL
//! transform statements and drop conditions, a switch for export, and the batch size and
//! timeout. Never the endpoint, headers or certificates. Every field is optional: one that is absent takes the application's own
//! setting again, so a configuration is the whole remote state, not a patch. Unknown
//! fields and values of the wrong kind are refused, naming them, so a typo is reported
//! `FAILED` instead of silently ignored.

use super::json::{self, Json, Members};
use std::time::Duration;

use crate::batch::batching::BatchPolicy;
use crate::encoding::json::{push_list, push_string};
use crate::model::SpanLimits;
use crate::sampling::Sampler;

/// The settings a remote configuration sets.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RemoteSettings {
    pub(crate) sampler: Option<Sampler>,
    pub(crate) transform: Option<Vec<String>>,
    pub(crate) drop_spans: Option<Vec<String>>,
    /// `false`: spans are taken from the buffer and counted as `filtered_out`, not sent.
    pub(crate) export: Option<bool>,
    pub(crate) batch_size: Option<usize>,
    pub(crate) batch_timeout: Option<Duration>,
    pub(crate) span_limits: Option<SpanLimits>,
}

impl RemoteSettings {
    /// Reads a configuration body (JSON); the error says which setting is wrong and why.
    pub(crate) fn parse(body: &[u8]) -> Result<RemoteSettings, String> {
        let text =
            std::str::from_utf8(body).map_err(|_| "the configuration is not UTF-8".to_owned())?;
        let Json::Object(members) =
            json::parse(text).map_err(|error| format!("invalid JSON: {error}"))?
        else {
            return Err("the configuration must be a JSON object".into());
        };
        let mut settings = RemoteSettings::default();
        for (name, value) in members {
            match name.as_str() {
                "sampler" => settings.sampler = Some(sampler(value)?),
                "transform" => settings.transform = Some(strings("transform", value)?),
                "dropSpans" => settings.drop_spans = Some(strings("dropSpans", value)?),
                "export" => match value {
                    Json::Bool(on) => settings.export = Some(on),
                    _ => return Err("`export` must be true or false".into()),
                },
                "batch" => {
                    let mut batch = object("batch", value, &["size", "timeoutMs"])?;
                    settings.batch_size = take_count(&mut batch, "batch", "size")?.map(|size| size as usize);
                    settings.batch_timeout =
                        take_count(&mut batch, "batch", "timeoutMs")?.map(|ms| Duration::from_millis(u64::from(ms)));
                }
                "spanLimits" => settings.span_limits = Some(span_limits(value)?),
                other => {
                    return Err(format!(
                        "unknown setting `{other}` (known: sampler, transform, dropSpans, export, batch, spanLimits)"
                    ))
                }
            }
        }
        Ok(settings)
    }
}

/// `value` as an object whose members are all among `known`.
fn object(name: &str, value: Json, known: &[&str]) -> Result<Members, String> {
    let Json::Object(members) = value else {
        return Err(format!("`{name}` must be an object"));
    };
    if let Some(other) = members.names().find(|key| !known.contains(key)) {
        return Err(format!(
            "unknown `{name}` setting `{other}` (known: {})",
            known.join(", ")
        ));
    }
    Ok(members)
}

/// A whole number from 0 to 2³²−1, when present.
fn take_count(members: &mut Members, object: &str, name: &str) -> Result<Option<u32>, String> {
    match members.remove(name) {
        None => Ok(None),
        Some(Json::Number(number))
            if number.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&number) =>
        {
            Ok(Some(number as u32))
        }
        Some(_) => Err(format!(
            "`{object}.{name}` must be a whole number from 0 to 4294967295"
        )),
    }
}

/// `{"attributes": 128, "events": 128, "links": 128, "attributesPerEvent": 128,
/// "attributesPerLink": 128, "attributeValueLength": 1024}`; absent members keep the
/// defaults of OpenTelemetry (`attributeValueLength`: none).
fn span_limits(value: Json) -> Result<SpanLimits, String> {
    let mut members = object(
        "spanLimits",
        value,
        &[
            "attributes",
            "events",
            "links",
            "attributesPerEvent",
            "attributesPerLink",
            "attributeValueLength",
        ],
    )?;
    let defaults = SpanLimits::default();
    let mut count = |name, default| {
        Ok::<_, String>(take_count(&mut members, "spanLimits", name)?.unwrap_or(default))
    };
    Ok(SpanLimits {
        max_attributes: count("attributes", defaults.max_attributes)?,
        max_events: count("events", defaults.max_events)?,
        max_links: count("links", defaults.max_links)?,
        max_attributes_per_event: count("attributesPerEvent", defaults.max_attributes_per_event)?,
        max_attributes_per_link: count("attributesPerLink", defaults.max_attributes_per_link)?,
        max_attribute_value_length: take_count(&mut members, "spanLimits", "attributeValueLength")?,
    })
}

fn strings(name: &str, value: Json) -> Result<Vec<String>, String> {
    let wrong = || format!("`{name}` must be a list of OTTL strings");
    let Json::Array(items) = value else {
        return Err(wrong());
    };
    items
        .into_iter()
        .map(|item| match item {
            Json::String(text) => Ok(text),
            _ => Err(wrong()),
        })
        .collect()
}

/// `{"type": "parentbased_traceidratio", "ratio": 0.1}`, the names of `OTEL_TRACES_SAMPLER`.
fn sampler(value: Json) -> Result<Sampler, String> {
    let Json::Object(mut members) = value else {
        return Err("`sampler` must be an object: {\"type\": …, \"ratio\": …}".into());
    };
    let ratio = members.remove("ratio");
    let kind = members.remove("type");
    if let Some(other) = members.names().next() {
        return Err(format!(
            "unknown sampler setting `{other}` (known: type, ratio)"
        ));
    }
    let ratio = match ratio {
        None => None,
        Some(Json::Number(ratio)) if (0.0..=1.0).contains(&ratio) => Some(ratio),
        Some(_) => return Err("`sampler.ratio` must be a number from 0 to 1".into()),
    };
    let kind = match kind {
        None if ratio.is_some() => "parentbased_traceidratio".to_owned(),
        Some(Json::String(kind)) => kind,
        _ => return Err("`sampler.type` must be one of the OTEL_TRACES_SAMPLER names".into()),
    };
    let needs_ratio = || ratio.ok_or_else(|| format!("sampler `{kind}` needs a `ratio`"));
    Ok(match kind.as_str() {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::TraceIdRatio(needs_ratio()?),
        "parentbased_always_on" => Sampler::ParentBasedAlwaysOn,
        "parentbased_always_off" => Sampler::ParentBasedAlwaysOff,
        "parentbased_traceidratio" => Sampler::ParentBasedTraceIdRatio(needs_ratio()?),
        other => {
            return Err(format!(
                "unknown sampler `{other}` (known: always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)"
            ))
        }
    })
}

/// What runs now, as the effective configuration reports it: the remote settings' fields
/// with their values in force, and where spans go with every secret redacted (the
/// endpoint's password, the headers' values).
pub(crate) struct Effective<'a> {
    pub(crate) sampler: Sampler,
    pub(crate) span_limits: SpanLimits,
    pub(crate) batch: BatchPolicy,
    pub(crate) transform: &'a [String],
    pub(crate) drop_spans: &'a [String],
    pub(crate) export: bool,
    /// With its password already redacted.
    pub(crate) endpoint: &'a str,
    pub(crate) header_names: Vec<&'a str>,
}

impl Effective<'_> {
    pub(crate) fn to_json(&self) -> String {
        let (kind, ratio) = match self.sampler {
            Sampler::AlwaysOn => ("always_on", None),
            Sampler::AlwaysOff => ("always_off", None),
            Sampler::TraceIdRatio(ratio) => ("traceidratio", Some(ratio)),
            Sampler::ParentBasedAlwaysOn => ("parentbased_always_on", None),
            Sampler::ParentBasedAlwaysOff => ("parentbased_always_off", None),
            Sampler::ParentBasedTraceIdRatio(ratio) => ("parentbased_traceidratio", Some(ratio)),
        };
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"sampler\":{\"type\":");
        push_string(kind, &mut out);
        if let Some(ratio) = ratio {
            out.extend_from_slice(b",\"ratio\":");
            crate::platform::write_double(ratio, &mut out);
        }
        out.extend_from_slice(b"},\"transform\":");
        push_list(self.transform, |rule, out| push_string(rule, out), &mut out);
        out.extend_from_slice(b",\"dropSpans\":");
        push_list(
            self.drop_spans,
            |rule, out| push_string(rule, out),
            &mut out,
        );
        out.extend_from_slice(if self.export {
            b",\"export\":true"
        } else {
            b",\"export\":false"
        });
        let limits = &self.span_limits;
        let value_length = limits
            .max_attribute_value_length
            .map_or_else(|| "null".to_owned(), |length| length.to_string());
        out.extend_from_slice(
            format!(
                ",\"batch\":{{\"size\":{},\"timeoutMs\":{}}},\"spanLimits\":{{\"attributes\":{},\"events\":{},\"links\":{},\"attributesPerEvent\":{},\"attributesPerLink\":{},\"attributeValueLength\":{value_length}}}",
                self.batch.batch_size,
                self.batch.batch_timeout.as_millis(),
                limits.max_attributes,
                limits.max_events,
                limits.max_links,
                limits.max_attributes_per_event,
                limits.max_attributes_per_link,
            )
            .as_bytes(),
        );
        out.extend_from_slice(b",\"endpoint\":");
        push_string(self.endpoint, &mut out);
        out.extend_from_slice(b",\"headers\":{");
        for (index, name) in self.header_names.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            push_string(name, &mut out);
            out.extend_from_slice(b":\"<redacted>\"");
        }
        out.extend_from_slice(b"}}");
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_schema() {
        let settings = RemoteSettings::parse(
            br#"{"sampler": {"type": "traceidratio", "ratio": 0.25}, "transform": ["delete_key(attributes, \"a\")"], "dropSpans": [], "export": false}"#,
        )
        .unwrap();
        assert_eq!(settings.sampler, Some(Sampler::TraceIdRatio(0.25)));
        assert_eq!(settings.transform.unwrap().len(), 1);
        assert_eq!(settings.drop_spans, Some(vec![]));
        assert_eq!(settings.export, Some(false));
        let sized = RemoteSettings::parse(
            br#"{"batch": {"size": 64, "timeoutMs": 200}, "spanLimits": {"attributes": 8, "attributeValueLength": 16}}"#,
        )
        .unwrap();
        assert_eq!(
            (sized.batch_size, sized.batch_timeout),
            (Some(64), Some(Duration::from_millis(200)))
        );
        let limits = sized.span_limits.unwrap();
        assert_eq!(
            (
                limits.max_attributes,
                limits.max_events,
                limits.max_attribute_value_length
            ),
            (8, 128, Some(16))
        );
        assert_eq!(
            RemoteSettings::parse(br#"{"sampler": {"ratio": 0.5}}"#)
                .unwrap()
                .sampler,
            Some(Sampler::ParentBasedTraceIdRatio(0.5))
        );
        assert_eq!(
            RemoteSettings::parse(b"{}").unwrap(),
            RemoteSettings::default()
        );
    }

    #[test]
    fn the_effective_configuration_reads_back_with_secrets_redacted() {
        let effective = Effective {
            sampler: Sampler::TraceIdRatio(0.5),
            span_limits: SpanLimits::default(),
            batch: BatchPolicy {
                batch_size: 512,
                batch_timeout: Duration::from_secs(5),
            },
            transform: &["set(name, \"a\")".to_owned()],
            drop_spans: &[],
            export: true,
            endpoint: "https://user:<redacted>@example.com/v1/traces",
            header_names: vec!["x-api-key"],
        }
        .to_json();
        let Json::Object(members) = json::parse(&effective).unwrap() else {
            panic!("{effective}")
        };
        assert_eq!(
            members["transform"],
            Json::Array(vec![Json::String("set(name, \"a\")".into())])
        );
        assert!(!effective.contains("secret"));
        assert!(
            effective.contains(r#""headers":{"x-api-key":"<redacted>"}"#),
            "{effective}"
        );
        assert_eq!(
            members["batch"],
            json::parse(r#"{"size": 512, "timeoutMs": 5000}"#).unwrap()
        );
        let Json::Object(limits) = &members["spanLimits"] else {
            panic!("{effective}")
        };
        assert_eq!(
            (&limits["attributes"], &limits["attributeValueLength"]),
            (&Json::Number(128.0), &Json::Null)
        );
        let again = RemoteSettings::parse(
            br#"{"sampler": {"type": "traceidratio", "ratio": 0.5}, "transform": [], "dropSpans": []}"#,
        )
        .unwrap();
        assert_eq!(again.sampler, Some(Sampler::TraceIdRatio(0.5)));
    }

    #[test]
    fn refuses_and_names_what_is_wrong() {
        for (body, message) in [
            (
                &br#"{"sampler": {"ratio": 2}}"#[..],
                "`sampler.ratio` must be a number from 0 to 1",
            ),
            (br#"{"samplr": {}}"#, "unknown setting `samplr`"),
            (
                br#"{"sampler": {"type": "traceidratio"}}"#,
                "sampler `traceidratio` needs a `ratio`",
            ),
            (
                br#"{"transform": "x"}"#,
                "`transform` must be a list of OTTL strings",
            ),
            (br#"{"export": 1}"#, "`export` must be true or false"),
            (
                br#"{"batch": {"size": 1.5}}"#,
                "`batch.size` must be a whole number",
            ),
            (
                br#"{"batch": {"sise": 1}}"#,
                "unknown `batch` setting `sise`",
            ),
            (
                br#"{"spanLimits": {"attributes": -1}}"#,
                "`spanLimits.attributes` must be a whole number",
            ),
            (br#"[1]"#, "must be a JSON object"),
            (br#"{"#, "invalid JSON"),
            (b"\xff", "not UTF-8"),
        ] {
            let error = RemoteSettings::parse(body).unwrap_err();
            assert!(error.contains(message), "{error}");
        }
    }
}
