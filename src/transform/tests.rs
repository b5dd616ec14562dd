//! The engine on spans: each editor and converter, conditions, error modes, and compile
//! errors that name the rule and column. (The same statements against the Collector's
//! own processors: `tests/interop/otelcol_rules.rs`.)

use super::*;
use crate::model::{KeyValue, SpanKind, SpanStatus};

fn rules(statements: &[&str], drops: &[&str]) -> SpanRules {
    let owned = |list: &[&str]| list.iter().map(|text| text.to_string()).collect::<Vec<_>>();
    SpanRules::compile(&owned(statements), &owned(drops), ErrorMode::Ignore).unwrap()
}

fn sample_span() -> Span {
    Span::new("GET /users/42")
        .with_kind(SpanKind::Server)
        .with_attribute("user.email", "ada@example.com")
        .with_attribute("url.full", "https://shop.test/cart?token=s3cret&x=1")
        .with_attribute("http.route", "/users/:id")
        .with_attribute("retries", 3)
        .with_attribute("ratio", 0.5)
        .with_attribute("tags", Value::Array(vec!["a".into(), "b".into()]))
        .end()
}

fn run(statements: &[&str], drops: &[&str]) -> (Span, Outcome) {
    let mut span = sample_span();
    let resource = Resource::new("checkout").with_attribute("deployment.environment", "prod");
    let outcome = rules(statements, drops).apply(&mut span, &resource, &Scope::default());
    (span, outcome)
}

fn attribute<'s>(span: &'s Span, key: &str) -> Option<&'s Value> {
    span.attributes()
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| &kv.value)
}

fn text(value: &str) -> Value {
    Value::from(value.to_owned())
}

#[test]
fn redaction_statements() {
    let (span, outcome) = run(
        &[
            r#"delete_key(attributes, "user.email")"#,
            r#"replace_pattern(attributes["url.full"], "token=[^&]*", "token=REDACTED")"#,
            r#"set(attributes["http.route"], Concat(["v1", attributes["http.route"]], ":")) where kind == SPAN_KIND_SERVER"#,
            r#"set(name, "ignored") where kind == SPAN_KIND_CLIENT"#,
        ],
        &[],
    );
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    assert_eq!(attribute(&span, "user.email"), None);
    assert_eq!(
        attribute(&span, "url.full"),
        Some(&text("https://shop.test/cart?token=REDACTED&x=1"))
    );
    assert_eq!(attribute(&span, "http.route"), Some(&text("v1:/users/:id")));
    assert_eq!(span.name(), "GET /users/42");
}

#[test]
fn drop_conditions() {
    assert!(
        run(&[], &[r#"attributes["http.route"] == "/users/:id""#])
            .1
            .dropped
    );
    assert!(run(&[], &[r#"IsMatch(name, "^GET ")"#]).1.dropped);
    assert!(!run(&[], &[r#"attributes["missing"] == "x""#]).1.dropped);
    assert!(run(&[], &[r#"attributes["missing"] == nil"#]).1.dropped);
    assert!(run(&[], &[r#"resource.attributes["deployment.environment"] == "prod" and attributes["retries"] > 2"#]).1.dropped);
    assert!(!run(&[], &[r#"not (attributes["ratio"] < 1)"#]).1.dropped);
    // A statement's change is what the condition sees.
    assert!(
        run(
            &[r#"set(attributes["drop"], true)"#],
            &[r#"attributes["drop"] == true"#]
        )
        .1
        .dropped
    );
}

#[test]
fn editors() {
    let (span, _) = run(&[r#"keep_keys(attributes, ["retries", "ratio"])"#], &[]);
    assert_eq!(span.attributes().as_slice().len(), 2);
    let (span, _) = run(
        &[r#"delete_matching_keys(attributes, "^(user|url)\\.")"#],
        &[],
    );
    assert_eq!(span.attributes().as_slice().len(), 4);
    let (span, _) = run(&[r#"keep_matching_keys(attributes, "^r")"#], &[]);
    assert_eq!(span.attributes().as_slice().len(), 2);
    let (span, _) = run(&[r#"truncate_all(attributes, 3)"#], &[]);
    assert_eq!(attribute(&span, "user.email"), Some(&text("ada")));
    assert_eq!(attribute(&span, "retries"), Some(&Value::Int(3)));
    let (span, _) = run(&[r#"limit(attributes, 2, ["ratio"])"#], &[]);
    let keys: Vec<&str> = span.attributes().iter().map(|kv| kv.key.as_ref()).collect();
    assert_eq!(keys, ["user.email", "ratio"]);
    let (span, _) = run(
        &[r#"replace_match(attributes["http.route"], "/users/*", "/users/{id}")"#],
        &[],
    );
    assert_eq!(attribute(&span, "http.route"), Some(&text("/users/{id}")));
    let (span, _) = run(
        &[r#"replace_all_matches(attributes, "*@example.com", "[email]")"#],
        &[],
    );
    assert_eq!(attribute(&span, "user.email"), Some(&text("[email]")));
    let (span, _) = run(
        &[r#"replace_all_patterns(attributes, "key", "^user\\.", "enduser.")"#],
        &[],
    );
    assert_eq!(
        attribute(&span, "enduser.email"),
        Some(&text("ada@example.com"))
    );
    let (span, _) = run(
        &[r#"replace_all_patterns(attributes, "value", "@.*$", "@…")"#],
        &[],
    );
    assert_eq!(attribute(&span, "user.email"), Some(&text("ada@…")));
    let (span, _) = run(
        &[r#"replace_pattern(attributes["user.email"], "^(.*)@", "$1 at ", SHA256, "h:%s")"#],
        &[],
    );
    let expected = format!(
        "h:{}example.com",
        super::super::sha256::sha256_hex(b"ada at ")
    );
    assert_eq!(attribute(&span, "user.email"), Some(&text(&expected)));
}

#[test]
fn span_fields_and_converters() {
    let (span, outcome) = run(
        &[
            r#"set(name, ToUpperCase(Substring(name, 0, 3)))"#,
            r#"set(kind, SPAN_KIND_CLIENT)"#,
            r#"set(status.code, STATUS_CODE_ERROR)"#,
            r#"set(status.message, "boom")"#,
            r#"set(attributes["len"], Len(attributes["url.full"]))"#,
            r#"set(attributes["int"], Int("42"))"#,
            r#"set(attributes["str"], String(attributes["ratio"]))"#,
            r#"set(attributes["lower"], ToLowerCase("MiXeD"))"#,
            r#"set(attributes["first_tag"], attributes["tags"][1])"#,
            r#"set(attributes["trace"], trace_id.string)"#,
            r#"set(attributes["hash"], SHA256("abc"))"#,
            r#"set(trace_state, "k=v")"#,
            r#"set(instrumentation_scope.name, "rules")"#,
        ],
        &[],
    );
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    assert_eq!(span.name(), "GET");
    assert_eq!(span.kind(), SpanKind::Client);
    assert_eq!(span.status(), &SpanStatus::error("boom"));
    assert_eq!(attribute(&span, "len"), Some(&Value::Int(39)));
    assert_eq!(attribute(&span, "int"), Some(&Value::Int(42)));
    assert_eq!(attribute(&span, "str"), Some(&text("0.5")));
    assert_eq!(attribute(&span, "lower"), Some(&text("mixed")));
    assert_eq!(attribute(&span, "first_tag"), Some(&text("b")));
    assert_eq!(
        attribute(&span, "trace"),
        Some(&text(&span.trace_id().to_string()))
    );
    assert_eq!(
        attribute(&span, "hash"),
        Some(&text(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ))
    );
    assert_eq!(span.trace_state(), Some("k=v"));
    assert_eq!(span.scope().map(Scope::name), Some("rules"));
}

#[test]
fn failures_are_counted_and_the_span_goes_on() {
    let statements = [
        r#"set(attributes["a"], Substring(name, 0, 999))"#,
        r#"set(attributes["b"], "after")"#,
    ];
    let (span, outcome) = run(&statements, &[]);
    assert_eq!(outcome.failures.len(), 1);
    assert!(
        outcome.failures[0].message.contains("exceeds"),
        "{}",
        outcome.failures[0]
    );
    assert_eq!(
        attribute(&span, "b"),
        Some(&text("after")),
        "ignore goes on"
    );

    let owned: Vec<String> = statements.iter().map(|s| s.to_string()).collect();
    let propagate = SpanRules::compile(&owned, &[], ErrorMode::Propagate).unwrap();
    let mut span = sample_span();
    let outcome = propagate.apply(&mut span, &Resource::default(), &Scope::default());
    assert_eq!(outcome.failures.len(), 1);
    assert_eq!(
        attribute(&span, "b"),
        None,
        "propagate stops the span's statements"
    );
    assert!(!outcome.dropped);
}

#[test]
fn mistakes_are_refused_naming_the_rule_and_column() {
    let compile = |statement: &str| {
        SpanRules::compile(&[statement.to_owned()], &[], ErrorMode::Ignore).expect_err(statement)
    };
    for (statement, column, words) in [
        (r#"set(attributes["a"], "x""#, 25, "expected ')'"),
        (r#"sett(name, "x")"#, 1, "unknown editor sett()"),
        (r#"set(nmae, "x")"#, 5, "unknown path 'nmae'"),
        (r#"set(name, Nope(1))"#, 11, "unknown converter Nope()"),
        (
            r#"delete_matching_keys(attributes, "(")"#,
            1,
            "invalid regular expression",
        ),
        (r#"set(resource.attributes["a"], "x")"#, 5, "read-only"),
        (
            r#"set(name, "x") where kind == SPAN_KIND_NOPE"#,
            30,
            "unknown enum",
        ),
        (r#"limit(attributes, 1, ["a", "b"])"#, 1, "priority keys"),
        (r#"truncate_all(attributes, -1)"#, 1, "cannot be negative"),
        (
            r#"replace_all_patterns(attributes, "both", "a", "b")"#,
            1,
            "\"key\" or \"value\"",
        ),
        (r#"set(name)"#, 1, "takes 2 arguments"),
    ] {
        let error = compile(statement);
        assert_eq!(error.rule, statement);
        assert_eq!(error.column, column, "{statement}: {}", error.message);
        assert!(
            error.message.contains(words),
            "{statement}: {}",
            error.message
        );
    }
}

#[test]
fn nested_values_are_indexed_and_set() {
    let mut span = Span::new("n")
        .with_attribute(
            "m",
            Value::KvList(vec![KeyValue::new(
                "inner",
                Value::Array(vec![Value::Int(1), Value::Int(2)]),
            )]),
        )
        .end();
    let rules = rules(
        &[
            r#"set(attributes["got"], attributes["m"]["inner"][1])"#,
            r#"set(attributes["m"]["added"], "yes")"#,
            r#"set(attributes["missing"], attributes["m"]["nope"])"#,
        ],
        &[],
    );
    let outcome = rules.apply(&mut span, &Resource::default(), &Scope::default());
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    assert_eq!(attribute(&span, "got"), Some(&Value::Int(2)));
    assert_eq!(
        attribute(&span, "missing"),
        Some(&Value::Empty),
        "nil sets an empty value, as in the Collector"
    );
    let Some(Value::KvList(map)) = attribute(&span, "m") else {
        panic!()
    };
    assert_eq!(map.len(), 2);
}

#[test]
fn an_empty_value_reads_as_nil() {
    // As the Collector's getters read it: after `set(…, nil)` the attribute equals nil, and
    // `String()` of it is nil, which equals (and is <=) another nil.
    let (span, outcome) = run(
        &[
            r#"set(attributes["empty"], nil)"#,
            r#"set(attributes["equals_nil"], true) where attributes["empty"] == nil"#,
            r#"set(attributes["at_most"], true) where String(attributes["empty"]) <= String(attributes["missing"])"#,
        ],
        &[],
    );
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    assert_eq!(attribute(&span, "empty"), Some(&Value::Empty));
    assert_eq!(attribute(&span, "equals_nil"), Some(&Value::Bool(true)));
    assert_eq!(attribute(&span, "at_most"), Some(&Value::Bool(true)));
}
