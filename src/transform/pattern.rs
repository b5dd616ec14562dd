//! The two kinds of pattern OTTL functions take: regular expressions in RE2 syntax (Go's
//! `regexp`, which the Collector uses), matched in linear time by the `regex` crate, and
//! globs (`replace_match`, as the Collector's gobwas/glob reads them).

use std::borrow::Cow;

use regex::Regex;

/// A regular expression read as Go reads it. Go's `\d`, `\w`, `\s` and `\b` are ASCII,
/// the `regex` crate's are Unicode: they are rewritten to the ASCII classes, so a pattern
/// matches the same text in both.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    regex: Regex,
    /// Texts one of which every match starts with, when the pattern has such a finite set:
    /// a subject holding none of them cannot match, which is cheaper to see than to run
    /// the regex (most URLs hold no token to redact).
    required: Option<Vec<String>>,
}

/// The largest compiled program a rule may build (a pattern is configuration, but a
/// remote one must not exhaust memory).
const MAX_PROGRAM_BYTES: usize = 1 << 20;

impl Pattern {
    pub(crate) fn new(pattern: &str) -> Result<Pattern, String> {
        let translated = go_classes(pattern);
        let regex = regex::RegexBuilder::new(&translated)
            .size_limit(MAX_PROGRAM_BYTES)
            .build()
            .map_err(|error| format!("invalid regular expression {pattern:?}: {error}"))?;
        Ok(Pattern {
            regex,
            required: required_prefixes(&translated),
        })
    }

    /// Whether `text` cannot match, seen from the required prefixes alone.
    fn surely_misses(&self, text: &str) -> bool {
        self.required.as_ref().is_some_and(|required| {
            !required
                .iter()
                .any(|literal| text.contains(literal.as_str()))
        })
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        !self.surely_misses(text) && self.regex.is_match(text)
    }

    /// Every match replaced by `replacement`, with `$1`, `${name}` and `$$` expanded as
    /// Go's `ReplaceAllString` does; borrowed when nothing matched.
    pub(crate) fn replace_all<'t>(&self, text: &'t str, replacement: &str) -> Cow<'t, str> {
        if self.surely_misses(text) {
            return Cow::Borrowed(text);
        }
        self.regex.replace_all(text, replacement)
    }

    /// Each match's text and its replacement expanded, in order.
    pub(crate) fn expanded_matches(&self, text: &str, replacement: &str) -> Vec<(String, String)> {
        self.regex
            .captures_iter(text)
            .map(|captures| {
                let mut expanded = String::new();
                captures.expand(replacement, &mut expanded);
                (captures[0].to_owned(), expanded)
            })
            .collect()
    }
}

/// The literals one of which begins every match of `pattern` (regex-syntax's prefix
/// extraction), when that set is finite, small and holds no empty literal.
fn required_prefixes(pattern: &str) -> Option<Vec<String>> {
    const MOST: usize = 8;
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let mut extractor = regex_syntax::hir::literal::Extractor::new();
    extractor.limit_total(64);
    let sequence = extractor.extract(&hir);
    let literals = sequence.literals()?;
    if literals.is_empty() || literals.len() > MOST {
        return None;
    }
    literals
        .iter()
        .map(|literal| {
            let text = std::str::from_utf8(literal.as_bytes()).ok()?;
            (!text.is_empty()).then(|| text.to_owned())
        })
        .collect()
}

/// `pattern` with Go's ASCII-only Perl classes spelled out for the `regex` crate.
fn go_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(escaped) = chars.next() else {
            out.push('\\');
            break;
        };
        // Nested classes are allowed inside brackets too, so one spelling fits both.
        match escaped {
            'd' => out.push_str("[0-9]"),
            'D' => out.push_str("[^0-9]"),
            'w' => out.push_str("[0-9A-Za-z_]"),
            'W' => out.push_str("[^0-9A-Za-z_]"),
            's' => out.push_str("[\\t\\n\\f\\r ]"),
            'S' => out.push_str("[^\\t\\n\\f\\r ]"),
            'b' => out.push_str("(?-u:\\b)"),
            'B' => out.push_str("(?-u:\\B)"),
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

/// A glob: `*` any text, `?` one character, `[abc]`, `[a-z]`, `[!abc]`, `{a,b}` and `\`
/// escapes, matched against the whole text (gobwas/glob without separators).
#[derive(Clone, Debug)]
pub(crate) struct Glob(Regex);

impl Glob {
    pub(crate) fn new(glob: &str) -> Result<Glob, String> {
        let invalid = |why: &str| format!("invalid glob {glob:?}: {why}");
        let mut regex = String::from("^(?s:");
        let mut chars = glob.chars().peekable();
        let mut alternatives = 0usize;
        while let Some(c) = chars.next() {
            match c {
                '*' => {
                    // `**` is the same as `*` without separators.
                    while chars.peek() == Some(&'*') {
                        chars.next();
                    }
                    regex.push_str(".*");
                }
                '?' => regex.push('.'),
                '\\' => match chars.next() {
                    Some(escaped) => regex.push_str(&regex::escape(&escaped.to_string())),
                    None => return Err(invalid("it ends with '\\'")),
                },
                '[' => {
                    regex.push('[');
                    if matches!(chars.peek(), Some('!') | Some('^')) {
                        chars.next();
                        regex.push('^');
                    }
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == ']' {
                            closed = true;
                            break;
                        }
                        if matches!(c, '\\' | '[' | '&' | '~') {
                            regex.push('\\');
                        }
                        regex.push(c);
                    }
                    if !closed {
                        return Err(invalid("a '[' is not closed"));
                    }
                    regex.push(']');
                }
                '{' => {
                    alternatives += 1;
                    regex.push_str("(?:");
                }
                ',' if alternatives > 0 => regex.push('|'),
                '}' if alternatives > 0 => {
                    alternatives -= 1;
                    regex.push(')');
                }
                other => regex.push_str(&regex::escape(&other.to_string())),
            }
        }
        if alternatives > 0 {
            return Err(invalid("a '{' is not closed"));
        }
        regex.push_str(")$");
        regex::RegexBuilder::new(&regex)
            .size_limit(MAX_PROGRAM_BYTES)
            .build()
            .map(Glob)
            .map_err(|error| invalid(&error.to_string()))
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii_as_in_go() {
        let digits = Pattern::new(r"^\d+$").unwrap();
        assert!(digits.is_match("0123"));
        assert!(
            !digits.is_match("٣"),
            "an Arabic-Indic digit is not \\d in Go"
        );
        let word = Pattern::new(r"^[\w.]+$").unwrap();
        assert!(word.is_match("a_b.c"));
        assert!(!word.is_match("é"));
        assert!(Pattern::new(r"\bcat\b").unwrap().is_match("a cat."));
        assert_eq!(
            Pattern::new(r"(\w+)@(\w+)")
                .unwrap()
                .replace_all("me@host", "$2:$1 $$"),
            "host:me $"
        );
    }

    #[test]
    fn required_prefixes_never_skip_a_match() {
        for (pattern, texts) in [
            ("(token|sig)=[^&]*", ["a?token=1", "sig=", "x", "tok"]),
            ("(?i)secret", ["SeCrEt", "secre", "a secret", ""]),
            ("^abc", ["abc", "xabc", "ab", "ABC"]),
            ("a|b*", ["", "x", "a", "bb"]),
            ("[0-9]{2,}", ["1", "12", "a34", ""]),
        ] {
            let pattern = Pattern::new(pattern).unwrap();
            for text in texts {
                assert_eq!(
                    pattern.is_match(text),
                    pattern.regex.is_match(text),
                    "{text}"
                );
            }
        }
        assert_eq!(
            Pattern::new("(token|sig)=[^&]*").unwrap().required,
            Some(vec!["token=".into(), "sig=".into()])
        );
        assert_eq!(Pattern::new("a|b*").unwrap().required, None);
    }

    #[test]
    fn a_pattern_that_would_backtrack_runs_in_linear_time() {
        let pattern = Pattern::new("(a+)+$").unwrap();
        let text = format!("{}b", "a".repeat(100_000));
        assert!(!pattern.is_match(&text));
    }

    #[test]
    fn globs() {
        for (glob, text, matches) in [
            ("*.example.com", "api.example.com", true),
            ("*.example.com", "example.com", false),
            ("GET /health?", "GET /healthz", true),
            ("[!a]bc", "abc", false),
            ("[a-c]bc", "bbc", true),
            ("{foo,bar}-*", "bar-1", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("*", "", true),
        ] {
            assert_eq!(
                Glob::new(glob).unwrap().is_match(text),
                matches,
                "{glob} {text}"
            );
        }
        assert!(Glob::new("[abc").is_err());
        assert!(Glob::new("{a,b").is_err());
    }
}
