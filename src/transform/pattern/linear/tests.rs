use proptest::prelude::*;

use super::Regex;
use crate::transform::pattern::{native, Pattern};

/// A pattern on the browser's engine.
fn linear(pattern: &str) -> Result<Pattern<Regex>, String> {
    Pattern::new(pattern)
}

/// Go's answers, written from its documentation and `regexp` tests.
#[test]
fn reads_and_matches_as_go_does() {
    for (pattern, text, replaced) in [
        (r"\d+", "a12b345", "a<12>b<345>"),
        (r"(?i)secret", "SeCrEt!", "<SeCrEt>!"),
        (r"a*", "baaac", "<>b<aaa>c<>"),
        (r"a*?", "aa", "<>a<>a<>"),
        (r"(a|ab)(c|bcd)", "abcd", "<abcd>"),
        (r"x*", "", "<>"),
        (r"^", "ab", "<>ab"),
        (r"$", "ab", "ab<>"),
        (r"(?m)^a", "a\na", "<a>\n<a>"),
        (r"^a", "a\na", "<a>\na"),
        (r"\bcat\b", "cat concat cat.", "<cat> concat <cat>."),
        (r"[[:upper:]]+", "abCDe", "ab<CD>e"),
        (r"[^[:alpha:]]", "a1b", "a<1>b"),
        (r"\Qa.b\E+", "a.bbb a.b", "<a.bbb> <a.b>"),
        (r"a{2,3}", "aaaaaaa", "<aaa><aaa>a"),
        (r"a{2}", "aaaaa", "<aa><aa>a"),
        (r"a{,2}", "a{,2}", "<a{,2}>"),
        (r"(?s).", "\n", "<\n>"),
        (r".", "\n", "\n"),
        (r"\x41\x{263a}\101", "A☺A", "<A☺A>"),
        (r"[\d\-x]+", "1-x2y", "<1-x2>y"),
        (r"[]a]", "]", "<]>"),
        (r"(?U)a+", "aaa", "<a><a><a>"),
        (r"(?U)a+?", "aaa", "<aaa>"),
        (r"é+", "ééx", "<éé>x"),
        (r"(?i)é", "É", "<É>"),
        (r"\S+", "a b\tc", "<a> <b>\t<c>"),
    ] {
        let regex = linear(pattern).unwrap_or_else(|error| panic!("{pattern}: {error}"));
        assert_eq!(
            regex.replace_all(text, "<$0>"),
            replaced,
            "{pattern} on {text:?}"
        );
    }
}

#[test]
fn expands_replacements_as_go_does() {
    let regex = linear(r"(?P<user>\w+)@(?<host>\w+)").unwrap();
    for (template, expanded) in [
        ("$2:$1", "host:me"),
        ("${user}!", "me!"),
        ("$host$$", "host$"),
        ("$1x", ""),
        ("${1}x", "mex"),
        ("$9", ""),
        ("$", "$"),
        ("${user", "${user"),
        ("$01", ""),
    ] {
        assert_eq!(
            regex.replace_all("me@host", template),
            expanded,
            "{template}"
        );
    }
}

#[test]
fn refuses_what_go_refuses() {
    for pattern in [
        "a**",
        "*a",
        "(a",
        "a)",
        "[a",
        "[z-a]",
        r"\p{L}",
        "a{1001}",
        "a{3,2}",
        r"\1",
        r"\Z",
        "(?P<n>a)(?P<n>b)",
        "(?<>a)",
        "(?x)a",
        r"\",
        "a{2}{3}",
    ] {
        assert!(linear(pattern).is_err(), "{pattern} should be refused");
    }
    assert!(linear(&"(".repeat(2_000)).is_err());
    assert!(linear("((a{100}){100}){100}").is_err(), "too large");
}

#[test]
fn a_pattern_that_would_backtrack_runs_in_linear_time() {
    let text = format!("{}b", "a".repeat(20_000));
    assert!(!linear("(a+)+$").unwrap().is_match(&text));
    assert!(!linear("(a|aa)*c").unwrap().is_match(&text));
}

/// Random patterns over a small alphabet, so that they match often.
fn pattern() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("-".to_string()),
        Just(r"\.".to_string()),
        Just(".".to_string()),
        Just("[ab]".to_string()),
        Just("[^a]".to_string()),
        Just("[a-c1]".to_string()),
        Just(r"\d".to_string()),
        Just(r"\w".to_string()),
        Just(r"\s".to_string()),
        Just(r"\b".to_string()),
        Just(r"\B".to_string()),
        Just("^".to_string()),
        Just("$".to_string()),
        Just("[[:alpha:]]".to_string()),
        Just("(?i:a)".to_string()),
        Just("(?i:[^b])".to_string()),
        Just("(?m:^)".to_string()),
        Just("(?m:$)".to_string()),
        Just("(?s:.)".to_string()),
        Just(r"\A".to_string()),
        Just(r"\z".to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}{b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}|{b}")),
            inner.clone().prop_map(|a| format!("({a})")),
            inner.clone().prop_map(|a| format!("(?:{a})")),
            (
                inner,
                prop::sample::select(vec![
                    "*", "+", "?", "*?", "+?", "??", "{1,2}", "{2}", "{0,1}?", "{2,}", "{1,}?"
                ])
            )
                .prop_map(|(a, repeat)| format!("(?:{a}){repeat}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    /// The browser's engine finds what the native one finds (which the differential test
    /// checks against the Collector), with the same groups.
    #[test]
    fn finds_what_the_native_engine_finds(
        pattern in pattern(),
        text in "[abAB1 .\n-]{0,12}",
    ) {
        let ours = linear(&pattern).unwrap();
        let native = Pattern::<native::Regex>::new(&pattern).unwrap();
        prop_assert_eq!(ours.is_match(&text), native.is_match(&text));
        prop_assert_eq!(ours.replace_all(&text, "<$1|$0>"), native.replace_all(&text, "<$1|$0>"));
        prop_assert_eq!(
            ours.expanded_matches(&text, "$1"),
            native.expanded_matches(&text, "$1")
        );
    }
}
