//! Our OTTL rules against the Collector's own `transform` and `filter` processors: the same
//! statements, the same input spans, and what comes out must be identical. One Collector
//! runs a pipeline per case (its otlp receiver fans each request out to all of them), each
//! exporting to the loopback receiver with a header naming its case; for each case a
//! native collector configured with the same rules exports the same spans to the same
//! receiver. The table is written from the OTTL documentation (pkg/ottl/ottlfuncs and the
//! span context's paths), not from our implementation; a second run compares random
//! statements.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::{Duration, Instant};

use otlp_collector::{
    Collector, Config, KeyValue, Protocol, Resource, Scope, Span, SpanContext, SpanId, SpanKind,
    SpanStatus, TraceId, Value,
};
use otlp_test_receiver::{common, trace, Otelcol, Receiver, ReceiverOptions};

/// A case: transform statements and drop conditions (either may be empty).
struct Case {
    statements: Vec<String>,
    drops: Vec<String>,
}

fn case(statements: &[&str], drops: &[&str]) -> Case {
    Case {
        statements: statements.iter().map(|text| text.to_string()).collect(),
        drops: drops.iter().map(|text| text.to_string()).collect(),
    }
}

/// Every path, editor, converter and operator of the subset (see README, "Shaping what
/// leaves").
fn table() -> Vec<Case> {
    let statements = [
        // Paths, read.
        r#"set(attributes["copied.name"], name)"#,
        r#"set(attributes["copied.kind"], kind)"#,
        r#"set(attributes["copied.status"], status.code)"#,
        r#"set(attributes["copied.message"], status.message)"#,
        r#"set(attributes["env"], resource.attributes["deployment.environment"])"#,
        r#"set(attributes["scope"], instrumentation_scope.name)"#,
        r#"set(attributes["scope.version"], instrumentation_scope.version)"#,
        r#"set(attributes["trace"], trace_id.string)"#,
        r#"set(attributes["span"], span_id.string)"#,
        r#"set(attributes["parent"], parent_span_id.string)"#,
        r#"set(attributes["start"], start_time_unix_nano)"#,
        r#"set(attributes["end"], end_time_unix_nano)"#,
        r#"set(attributes["ts"], trace_state)"#,
        r#"set(attributes["second_tag"], attributes["tags"][1])"#,
        r#"set(attributes["inner"], attributes["m"]["inner"][0])"#,
        // Paths, written.
        r#"set(attributes["m"]["k"], "changed")"#,
        r#"set(name, "renamed") where kind == SPAN_KIND_SERVER"#,
        r#"set(kind, SPAN_KIND_INTERNAL) where kind == SPAN_KIND_CLIENT"#,
        r#"set(status.code, STATUS_CODE_ERROR) where attributes["http.response.status_code"] >= 200"#,
        r#"set(status.message, "rewritten") where status.code == STATUS_CODE_ERROR"#,
        r#"set(start_time_unix_nano, 1000) where name == "health""#,
        r#"set(end_time_unix_nano, 2000000000) where name == "health""#,
        r#"set(trace_state, "a=b") where trace_state == """#,
        r#"set(instrumentation_scope.name, "renamed-scope")"#,
        r#"set(instrumentation_scope.version, "9.9")"#,
        r#"set(attributes["tags"], ["x", "y"])"#,
        // Editors.
        r#"delete_key(attributes, "user.email")"#,
        r#"delete_key(attributes["m"], "k")"#,
        r#"delete_matching_keys(attributes, "^http\\.")"#,
        r#"keep_keys(attributes, ["url.full", "retries"])"#,
        r#"keep_matching_keys(attributes, "^(url|user)\\.")"#,
        r#"replace_pattern(attributes["url.full"], "token=[^&]*", "token=REDACTED")"#,
        r#"replace_pattern(attributes["url.full"], "(sig|AWSAccessKeyId)=[^&]*", "$1=***")"#,
        r#"replace_pattern(name, "/[0-9]+", "/{id}")"#,
        r#"replace_pattern(attributes["user.email"], "^([^@]*)@.*$", "$1", SHA256, "user-%s")"#,
        r#"replace_pattern(attributes["retries"], "3", "three")"#,
        r#"replace_all_patterns(attributes, "value", "[0-9]{2,}", "N")"#,
        r#"replace_all_patterns(attributes, "key", "^http\\.", "h.")"#,
        r#"replace_all_patterns(attributes, "value", "^$", "was-empty")"#,
        r##"replace_all_patterns(attributes, "value", "\\d", "#")"##,
        r#"replace_match(attributes["http.route"], "/users/*", "/users/{id}")"#,
        r#"replace_match(name, "GET *", "GET")"#,
        r#"replace_all_matches(attributes, "*example.com", "[redacted]")"#,
        r#"truncate_all(attributes, 5)"#,
        r#"limit(attributes, 2, [])"#,
        r#"limit(attributes, 3, ["tags"])"#,
        // Converters.
        r#"set(attributes["is_get"], IsMatch(name, "^GET"))"#,
        r#"set(attributes["status_is_2xx"], IsMatch(attributes["http.response.status_code"], "^2"))"#,
        r#"set(attributes["joined"], Concat([name, kind, attributes["ratio"], attributes["flag"], attributes["missing"]], "|"))"#,
        r#"set(attributes["sub"], Substring(name, 0, 4)) where Len(name) >= 4"#,
        r#"set(attributes["lower"], ToLowerCase(name))"#,
        r#"set(attributes["upper"], ToUpperCase(name))"#,
        r#"set(attributes["len"], Len(attributes["url.full"])) where attributes["url.full"] != nil"#,
        r#"set(attributes["int_from_string"], Int("42"))"#,
        r#"set(attributes["int_from_double"], Int(attributes["ratio"]))"#,
        r#"set(attributes["int_from_bool"], Int(attributes["flag"]))"#,
        r#"set(attributes["int_from_text"], Int(name))"#,
        r#"set(attributes["str_from_int"], String(attributes["http.response.status_code"]))"#,
        r#"set(attributes["str_from_double"], String(attributes["ratio"]))"#,
        r#"set(attributes["json"], String(attributes["m"]))"#,
        r#"set(attributes["hash"], SHA256(name))"#,
        // Conditions and operators.
        r#"set(attributes["c1"], true) where attributes["retries"] > 2 and attributes["retries"] < 4"#,
        r#"set(attributes["c2"], true) where attributes["retries"] <= 3 or name == "health""#,
        r#"set(attributes["c3"], true) where not (kind == SPAN_KIND_SERVER)"#,
        r#"set(attributes["c4"], true) where attributes["missing"] == nil"#,
        r#"set(attributes["c5"], true) where attributes["ratio"] == 0.5"#,
        r#"set(attributes["c6"], true) where attributes["ratio"] < 1"#,
        r#"set(attributes["c7"], true) where attributes["flag"] != false"#,
        r#"set(attributes["c8"], true) where name >= "P""#,
        r#"set(attributes["c9"], true) where (name == "health" or name == "publish") and not IsMatch(name, "^h")"#,
        r#"set(attributes["c10"], true) where attributes["http.response.status_code"] == "200""#,
        r#"set(attributes["c11"], true) where status.code != STATUS_CODE_UNSET"#,
        r#"set(attributes["c12"], 1.5) where true"#,
        r#"set(attributes["c13"], -7) where false or attributes["big"] > 1000000000000"#,
    ];
    let mut cases: Vec<Case> = statements
        .iter()
        .map(|statement| case(&[statement], &[]))
        .collect();
    // Drop conditions, as the filter processor's traces.span list.
    for drop in [
        r#"attributes["url.path"] == "/health""#,
        r#"IsMatch(name, "^(GET|POST) ")"#,
        r#"kind == SPAN_KIND_CONSUMER or status.code == STATUS_CODE_ERROR"#,
        r#"resource.attributes["deployment.environment"] == "prod" and attributes["retries"] == nil"#,
        r#"not (kind == SPAN_KIND_SERVER)"#,
    ] {
        cases.push(case(&[], &[drop]));
    }
    // A typical redaction set, and a statement a drop condition then sees.
    cases.push(case(
        &[
            r#"delete_key(attributes, "user.email")"#,
            r#"delete_key(attributes, "enduser.id")"#,
            r#"replace_pattern(attributes["url.full"], "(token|sig)=[^&]*", "$1=REDACTED")"#,
            r#"set(attributes["redacted"], true) where attributes["url.full"] != nil"#,
        ],
        &[r#"attributes["url.path"] == "/health""#],
    ));
    cases.push(case(
        &[r#"set(attributes["drop.me"], true) where name == "publish""#],
        &[r#"attributes["drop.me"] == true"#],
    ));
    cases
}

/// The spans every case runs on: each kind, status, value type and optional field.
fn input_spans() -> Vec<Span> {
    let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let root = SpanContext {
        trace_id,
        span_id: SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        trace_flags: 1,
        trace_state: None,
        is_remote: false,
    };
    let at = |seconds: u64| 1_700_000_000_000_000_000 + seconds * 1_000_000_000;
    let map = Value::KvList(vec![
        KeyValue::new("inner", Value::Array(vec![Value::Int(1), Value::Int(2)])),
        KeyValue::new("k", "v"),
    ]);
    vec![
        Span::child_of(&root, "GET /users/42")
            .with_kind(SpanKind::Server)
            .with_start_time(at(1))
            .with_attribute("user.email", "ada@example.com")
            .with_attribute("url.full", "https://shop.test/cart?token=s3cret&x=1")
            .with_attribute("http.route", "/users/42")
            .with_attribute("http.response.status_code", 200)
            .with_attribute("ratio", 0.5)
            .with_attribute("flag", true)
            .with_attribute("empty", "")
            .with_attribute(
                "tags",
                Value::Array(vec!["a".into(), "b".into(), "c".into()]),
            )
            .with_attribute("m", map)
            .end_at(at(2)),
        Span::child_of(&root, "POST /checkout")
            .with_kind(SpanKind::Client)
            .with_start_time(at(3))
            .with_attribute(
                "url.full",
                "https://pay.test/charge?sig=abc&AWSAccessKeyId=AKIA1&n=2",
            )
            .with_attribute("http.request.method", "POST")
            .with_attribute("enduser.id", "u-17")
            .with_attribute("retries", 3)
            .with_status(SpanStatus::error("card declined"))
            .end_at(at(4)),
        Span::child_of(&root, "health")
            .with_start_time(at(5))
            .with_attribute("url.path", "/health")
            .with_attribute("flag", false)
            .with_status(SpanStatus::Ok)
            .end_at(at(6)),
        Span::child_of(&root, "process order")
            .with_kind(SpanKind::Consumer)
            .with_start_time(at(7))
            .with_trace_state("vendor=x")
            .with_attribute("messaging.system", "kafka")
            .with_attribute("big", 9_007_199_254_740_993_i64)
            .with_attribute("ratio", -2.25)
            .end_at(at(8)),
        Span::child_of(&root, "publish")
            .with_kind(SpanKind::Producer)
            .with_start_time(at(9))
            .with_attribute("contact", "ops@example.com")
            .end_at(at(10)),
    ]
}

fn base_config(endpoint: String) -> Config {
    Config::default()
        .with_endpoint(endpoint)
        .with_protocol(Protocol::HttpProtobuf)
        .with_resource(Resource::new("rules-test").with_attribute("deployment.environment", "prod"))
        .with_scope(Scope::new("rules-scope").with_version("1.0"))
        .with_batch_timeout(Duration::from_millis(50))
}

/// A YAML single-quoted scalar.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A Collector configuration with a pipeline per case, each exporting to `receiver` with
/// the header `x-case: theirs-N`.
fn collector_config(cases: &[Case], receiver: &str) -> String {
    let mut processors = String::from("processors:\n");
    let mut exporters = String::from("exporters:\n");
    let mut pipelines = String::from("service:\n  telemetry:\n    metrics:\n      level: none\n    logs:\n      level: warn\n  pipelines:\n");
    for (i, case) in cases.iter().enumerate() {
        let mut chain = Vec::new();
        if !case.statements.is_empty() {
            let _ = writeln!(processors, "  transform/c{i}:\n    error_mode: ignore\n    trace_statements:\n      - context: span\n        statements:");
            for statement in &case.statements {
                let _ = writeln!(processors, "          - {}", quoted(statement));
            }
            chain.push(format!("transform/c{i}"));
        }
        if !case.drops.is_empty() {
            let _ = writeln!(
                processors,
                "  filter/c{i}:\n    error_mode: ignore\n    traces:\n      span:"
            );
            for drop in &case.drops {
                let _ = writeln!(processors, "        - {}", quoted(drop));
            }
            chain.push(format!("filter/c{i}"));
        }
        let _ = writeln!(
            exporters,
            "  otlp_http/c{i}:\n    traces_endpoint: {receiver}\n    compression: none\n    headers:\n      x-case: theirs-{i}\n    sending_queue:\n      enabled: false"
        );
        let _ = writeln!(
            pipelines,
            "    traces/c{i}:\n      receivers: [otlp]\n      processors: [{}]\n      exporters: [otlp_http/c{i}]",
            chain.join(", ")
        );
    }
    format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: ${{env:OTELCOL_GRPC_ENDPOINT}}\n      http:\n        endpoint: ${{env:OTELCOL_HTTP_ENDPOINT}}\n{processors}{exporters}{pipelines}"
    )
}

/// A span as both sides must agree on it, order-free: every field a rule can touch.
fn canonical(
    resource: &[common::KeyValue],
    scope: &common::InstrumentationScope,
    span: &trace::Span,
) -> String {
    let attributes = |list: &[common::KeyValue]| {
        let sorted: BTreeMap<&str, String> = list
            .iter()
            .map(|kv| {
                (
                    kv.key.as_str(),
                    format!("{:?}", kv.value.as_ref().and_then(|v| v.value.as_ref())),
                )
            })
            .collect();
        format!("{sorted:?}")
    };
    // An absent status is an unset one (the Collector always writes the field).
    let status = span.status.as_ref().map_or((0, String::new()), |status| {
        (status.code, status.message.clone())
    });
    format!(
        "name={:?} kind={} status={status:?} trace={} span={} parent={} start={} end={} state={:?} dropped={} events={} links={}\n  attributes={}\n  resource={}\n  scope={:?}/{:?}",
        span.name,
        span.kind,
        hex(&span.trace_id),
        hex(&span.span_id),
        hex(&span.parent_span_id),
        span.start_time_unix_nano,
        span.end_time_unix_nano,
        span.trace_state,
        span.dropped_attributes_count,
        span.events.len(),
        span.links.len(),
        attributes(&span.attributes),
        attributes(resource),
        scope.name,
        scope.version,
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The canonical spans the receiver got with `x-case: <label>`, sorted.
fn received(receiver: &Receiver, label: &str) -> Vec<String> {
    let mut spans = Vec::new();
    for request in receiver.requests() {
        if request.header("x-case") != Some(label) {
            continue;
        }
        for resource_spans in &request.request.resource_spans {
            let resource = resource_spans
                .resource
                .as_ref()
                .map_or(&[][..], |r| &r.attributes[..]);
            for scope_spans in &resource_spans.scope_spans {
                let scope = scope_spans.scope.clone().unwrap_or_default();
                for span in &scope_spans.spans {
                    spans.push(canonical(resource, &scope, span));
                }
            }
        }
    }
    spans.sort();
    spans
}

/// Runs `cases` through the Collector and through our collectors, and returns the cases
/// whose outputs differ, described. `None` outside the test command.
async fn differences(cases: &[Case], spans: &[Span]) -> Option<Vec<String>> {
    let receiver = Receiver::start_with(ReceiverOptions {
        keep_requests: true,
        ..ReceiverOptions::default()
    })
    .await
    .unwrap();
    let config_path = std::env::temp_dir().join(format!(
        "otelcol-rules-{}-{}.yaml",
        std::process::id(),
        receiver.addr().port()
    ));
    std::fs::write(&config_path, collector_config(cases, &receiver.endpoint())).unwrap();
    let Some(mut otelcol) = Otelcol::start(config_path.to_str().unwrap(), &[]) else {
        eprintln!("OTLP_OTELCOL_BIN is not set: run through tests/run_all.sh");
        return None;
    };

    // Ours: a collector per case, with the case's rules.
    let mut expected_counts = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let collector = Collector::new(
            base_config(receiver.endpoint())
                .with_header("x-case", format!("ours-{i}"))
                .with_transform(case.statements.clone())
                .with_drop_spans(case.drops.clone()),
        )
        .unwrap_or_else(|error| panic!("case {i}: {error}"));
        for span in spans {
            collector.collect(span.clone()).unwrap();
        }
        collector.shutdown().await.unwrap();
        let stats = collector.stats();
        assert!(stats.is_balanced(), "case {i}: {stats:?}");
        assert_eq!(
            stats.exported + stats.filtered_out,
            spans.len() as u64,
            "case {i}: {stats:?}"
        );
        expected_counts.push(stats.exported as usize);
    }

    // Theirs: the same spans, once, through every pipeline.
    let sender = Collector::new(base_config(otelcol.http_endpoint())).unwrap();
    for span in spans {
        sender.collect(span.clone()).unwrap();
    }
    sender.shutdown().await.unwrap();
    assert_eq!(sender.stats().exported, spans.len() as u64);

    // Wait for every pipeline that keeps spans, then a moment for any late extra.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all_there = (0..cases.len())
            .all(|i| received(&receiver, &format!("theirs-{i}")).len() >= expected_counts[i]);
        if all_there || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    otelcol.stop();
    let _ = std::fs::remove_file(&config_path);

    let mut differences = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let ours = received(&receiver, &format!("ours-{i}"));
        let theirs = received(&receiver, &format!("theirs-{i}"));
        if ours != theirs {
            let mut text = format!(
                "case {i}: statements {:?}, drops {:?}\n",
                case.statements, case.drops
            );
            let _ = writeln!(text, "  ours ({}):", ours.len());
            for span in ours.iter().filter(|span| !theirs.contains(span)) {
                let _ = writeln!(text, "    {span}");
            }
            let _ = writeln!(text, "  the Collector's ({}):", theirs.len());
            for span in theirs.iter().filter(|span| !ours.contains(span)) {
                let _ = writeln!(text, "    {span}");
            }
            differences.push(text);
        }
    }
    Some(differences)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_statement_of_the_table_gives_what_the_collectors_processors_give() {
    let cases = table();
    assert!(
        cases
            .iter()
            .map(|case| case.statements.len() + case.drops.len())
            .sum::<usize>()
            >= 60
    );
    assert_same_as_the_collector(&cases, &input_spans(), "").await;
}

/// Fails naming every case whose output differs from the Collector's (`context` heads the
/// message); does nothing outside the test command.
async fn assert_same_as_the_collector(cases: &[Case], spans: &[Span], context: &str) {
    let Some(differences) = differences(cases, spans).await else {
        return;
    };
    assert!(
        differences.is_empty(),
        "{context}{} of {} cases differ:\n{}",
        differences.len(),
        cases.len(),
        differences.join("\n")
    );
}

/// A small deterministic generator (xorshift), so a failing run can be repeated from the
/// seed it prints.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The input spans with their attribute values drawn at random, key by key: a string (of
/// the characters the patterns look for), an int, a float, a bool, a list or absent.
fn random_spans(random: &mut Random) -> Vec<Span> {
    let keys = [
        "user.email",
        "url.full",
        "http.route",
        "retries",
        "ratio",
        "flag",
        "tags",
        "big",
        "empty",
    ];
    let texts = [
        "",
        "a.b",
        "42",
        "/users/7",
        "e",
        "ops@example.com",
        "x-1.5",
        "Zz",
        "ab0cd",
    ];
    input_spans()
        .into_iter()
        .map(|span| {
            let mut span = span;
            for key in keys {
                let value = match random.below(7) {
                    0 => continue,
                    1 => Value::from(random.pick(&texts).to_owned()),
                    2 => Value::Int(random.below(2000) as i64 - 1000),
                    3 => Value::Double(random.below(100) as f64 / 8.0 - 3.0),
                    4 => Value::Bool(random.below(2) == 0),
                    5 => Value::Array(vec![
                        Value::from(random.pick(&texts).to_owned()),
                        Value::Int(random.below(9) as i64),
                    ]),
                    _ => Value::from(random.pick(&texts).to_owned()),
                };
                span.set_attribute(key, value);
            }
            span
        })
        .collect()
}

/// A random statement from the subset's grammar, over the keys the input spans carry.
fn random_statement(random: &mut Random) -> String {
    let keys = [
        "user.email",
        "url.full",
        "http.route",
        "retries",
        "ratio",
        "flag",
        "missing",
        "tags",
        "big",
        "empty",
    ];
    let values = [
        "name",
        "kind",
        "status.code",
        "trace_state",
        "\"text\"",
        "42",
        "-1",
        "0.25",
        "true",
        "nil",
        "attributes[\"KEY\"]",
        "resource.attributes[\"deployment.environment\"]",
        "instrumentation_scope.name",
        "Concat([name, attributes[\"KEY\"]], \"-\")",
        "ToUpperCase(name)",
        "String(attributes[\"KEY\"])",
        "Int(attributes[\"KEY\"])",
        "IsMatch(attributes[\"KEY\"], \"[0-9]\")",
        "SHA256(name)",
        "Len(name)",
    ];
    let patterns = [
        "[0-9]+", "^[a-z]", "e", "(a|o)", "\\\\.", "^$", "[^/]+$", "\\\\d",
    ];
    let operators = ["==", "!=", "<", "<=", ">", ">="];
    let value = |random: &mut Random| random.pick(&values).replace("KEY", random.pick(&keys));
    let key = |random: &mut Random| random.pick(&keys).to_owned();
    let statement = match random.below(9) {
        0 | 1 => format!("set(attributes[\"{}\"], {})", key(random), value(random)),
        2 => format!("delete_key(attributes, \"{}\")", key(random)),
        3 => format!(
            "delete_matching_keys(attributes, \"{}\")",
            random.pick(&patterns)
        ),
        4 => format!(
            "keep_matching_keys(attributes, \"{}\")",
            random.pick(&patterns)
        ),
        5 => format!(
            "replace_pattern(attributes[\"{}\"], \"{}\", \"<$0>\")",
            key(random),
            random.pick(&patterns)
        ),
        6 => format!(
            "replace_all_patterns(attributes, \"{}\", \"{}\", \"_\")",
            random.pick(&["key", "value"]),
            random.pick(&patterns)
        ),
        7 => format!("truncate_all(attributes, {})", random.below(8)),
        _ => format!("limit(attributes, {}, [])", random.below(6)),
    };
    if random.below(2) == 0 {
        return statement;
    }
    let left = value(random);
    let right = value(random);
    format!(
        "{statement} where {left} {} {right}",
        random.pick(&operators)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_statements_give_what_the_collectors_processors_give() {
    let seed = std::env::var("OTTL_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut random = Random(seed);
    let cases: Vec<Case> = (0..40)
        .map(|_| {
            let statements: Vec<String> = (0..1 + random.below(3))
                .map(|_| random_statement(&mut random))
                .collect();
            Case {
                statements,
                drops: Vec::new(),
            }
        })
        .collect();
    let spans = random_spans(&mut random);
    let context = format!("seed {seed} (OTTL_SEED={seed} repeats it): ");
    assert_same_as_the_collector(&cases, &spans, &context).await;
}
