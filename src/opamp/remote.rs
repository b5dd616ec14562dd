//! What an OpAMP server may change, read from the remote configuration's JSON body — a
//! deliberately small set (see the README's schema): the sampler, the OTTL transform
//! statements and drop conditions, and a switch for export. Never the endpoint, headers or
//! certificates. Every field is optional: one that is absent takes the application's own
//! setting again, so a configuration is the whole remote state, not a patch. Unknown
//! fields and values of the wrong kind are refused, naming them, so a typo is reported
//! `FAILED` instead of silently ignored.

use super::json::{self, Json};
use crate::encoding::json::push_string;
use crate::sampling::Sampler;

/// The settings a remote configuration sets.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RemoteSettings {
    pub(crate) sampler: Option<Sampler>,
    pub(crate) transform: Option<Vec<String>>,
    pub(crate) drop_spans: Option<Vec<String>>,
    /// `false`: spans are taken from the buffer and counted as `filtered_out`, not sent.
    pub(crate) export: Option<bool>,
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
                other => {
                    return Err(format!(
                        "unknown setting `{other}` (known: sampler, transform, dropSpans, export)"
                    ))
                }
            }
        }
        Ok(settings)
    }
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
    if let Some(other) = members.keys().next() {
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
        push_list(self.transform, &mut out);
        out.extend_from_slice(b",\"dropSpans\":");
        push_list(self.drop_spans, &mut out);
        out.extend_from_slice(if self.export {
            b",\"export\":true"
        } else {
            b",\"export\":false"
        });
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

fn push_list(items: &[String], out: &mut Vec<u8>) {
    out.push(b'[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        push_string(item, out);
    }
    out.push(b']');
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
            (br#"[1]"#, "must be a JSON object"),
            (br#"{"#, "invalid JSON"),
            (b"\xff", "not UTF-8"),
        ] {
            let error = RemoteSettings::parse(body).unwrap_err();
            assert!(error.contains(message), "{error}");
        }
    }
}
