//! Natively, patterns run on the `regex` crate (linear time, and fast: literal
//! prefilters, lazy DFAs), read as Go reads them.

use super::Engine;

/// A regular expression read as Go reads it. Go's `\d`, `\w`, `\s` and `\b` are ASCII,
/// the `regex` crate's are Unicode: they are rewritten to the ASCII classes, so a pattern
/// matches the same text in both.
#[derive(Clone, Debug)]
pub(crate) struct Regex {
    regex: regex::Regex,
    /// Texts one of which every match starts with, when the pattern has such a finite set:
    /// a subject holding none of them cannot match, which is cheaper to see than to run
    /// the regex (most URLs hold no token to redact).
    required: Option<Vec<String>>,
}

/// The largest compiled program a rule may build (a pattern is configuration, but a
/// remote one must not exhaust memory).
const MAX_PROGRAM_BYTES: usize = 1 << 20;

impl Engine for Regex {
    fn new(pattern: &str) -> Result<Regex, String> {
        let translated = go_classes(pattern);
        let regex = regex::RegexBuilder::new(&translated)
            .size_limit(MAX_PROGRAM_BYTES)
            .build()
            .map_err(|error| error.to_string())?;
        Ok(Regex {
            regex,
            required: required_prefixes(&translated),
        })
    }

    fn is_match(&self, text: &str) -> bool {
        !self.surely_misses(text) && self.regex.is_match(text)
    }

    /// The first match at or after `start` (look-arounds see the text before it): its
    /// bounds.
    fn find_at(&self, text: &str, start: usize) -> Option<(usize, usize)> {
        if self.surely_misses(&text[start..]) {
            return None;
        }
        let found = self.regex.find_at(text, start)?;
        Some((found.start(), found.end()))
    }

    /// The first match at or after `start`: the bounds of the match and of each group.
    fn captures_at(&self, text: &str, start: usize) -> Option<Vec<Option<usize>>> {
        if self.surely_misses(&text[start..]) {
            return None;
        }
        let captures = self.regex.captures_at(text, start)?;
        Some(
            (0..captures.len())
                .flat_map(|group| {
                    let found = captures.get(group);
                    [found.map(|m| m.start()), found.map(|m| m.end())]
                })
                .collect(),
        )
    }

    fn group_names(&self) -> Vec<Option<String>> {
        self.regex
            .capture_names()
            .map(|name| name.map(str::to_owned))
            .collect()
    }
}

impl Regex {
    /// Whether `text` cannot match, seen from the required prefixes alone.
    fn surely_misses(&self, text: &str) -> bool {
        self.required.as_ref().is_some_and(|required| {
            !required
                .iter()
                .any(|literal| text.contains(literal.as_str()))
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii_as_in_go() {
        let digits = Regex::new(r"^\d+$").unwrap();
        assert!(digits.is_match("0123"));
        assert!(
            !digits.is_match("٣"),
            "an Arabic-Indic digit is not \\d in Go"
        );
        let word = Regex::new(r"^[\w.]+$").unwrap();
        assert!(word.is_match("a_b.c"));
        assert!(!word.is_match("é"));
        assert!(Regex::new(r"\bcat\b").unwrap().is_match("a cat."));
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
            let pattern = Regex::new(pattern).unwrap();
            for text in texts {
                assert_eq!(
                    pattern.is_match(text),
                    pattern.regex.is_match(text),
                    "{text}"
                );
            }
        }
        assert_eq!(
            Regex::new("(token|sig)=[^&]*").unwrap().required,
            Some(vec!["token=".into(), "sig=".into()])
        );
        assert_eq!(Regex::new("a|b*").unwrap().required, None);
    }

    #[test]
    fn a_pattern_that_would_backtrack_runs_in_linear_time() {
        let pattern = Regex::new("(a+)+$").unwrap();
        let text = format!("{}b", "a".repeat(100_000));
        assert!(!pattern.is_match(&text));
    }
}
