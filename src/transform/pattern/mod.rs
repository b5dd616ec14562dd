//! The two kinds of pattern OTTL functions take: regular expressions in RE2 syntax (Go's
//! `regexp`, which the Collector uses), matched in linear time, and globs
//! (`replace_match`, as the Collector's gobwas/glob reads them). Natively the `regex`
//! crate runs them; in the browser's module, where that crate would weigh hundreds of
//! kilobytes, a small Pike VM of our own (`linear/`).

cfg_if::cfg_if! {
    if #[cfg(target_arch = "wasm32")] {
        mod linear;
        use linear::Regex;
    } else {
        #[cfg(test)]
        mod linear;
        mod native;
        use native::Regex;
    }
}

mod replace;

/// What an engine gives: a compiled pattern's matches (look-arounds at `start` see the
/// text before it) and its groups' names.
pub(crate) trait Engine: Sized {
    fn new(pattern: &str) -> Result<Self, String>;
    fn is_match(&self, text: &str) -> bool;
    /// The first match at or after `start`: its bounds.
    fn find_at(&self, text: &str, start: usize) -> Option<(usize, usize)>;
    /// The first match at or after `start`: the bounds of the match and of each group.
    fn captures_at(&self, text: &str, start: usize) -> Option<Vec<Option<usize>>>;
    /// Index 0 is the whole match.
    fn group_names(&self) -> Vec<Option<String>>;
}

/// A regular expression read as Go reads it, with Go's finding and replacing loops
/// (`replace.rs`) over the engine, so empty matches and `$` expansions fall where they
/// fall in the Collector.
#[derive(Clone, Debug)]
pub(crate) struct Pattern<E = Regex> {
    regex: E,
    /// The groups' names, for `${name}`.
    names: Vec<Option<String>>,
}

impl<E: Engine> Pattern<E> {
    pub(crate) fn new(pattern: &str) -> Result<Pattern<E>, String> {
        let regex = E::new(pattern)?;
        Ok(Pattern {
            names: regex.group_names(),
            regex,
        })
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// A glob: `*` any text, `?` one character, `[abc]`, `[a-z]`, `[!abc]`, `{a,b}` and `\`
/// escapes, matched against the whole text (gobwas/glob without separators).
#[derive(Clone, Debug)]
pub(crate) struct Glob(Pattern);

impl Glob {
    pub(crate) fn new(glob: &str) -> Result<Glob, String> {
        let invalid = |why: &str| format!("invalid glob \"{glob}\": {why}");
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
                    Some(escaped) => regex.push_str(&escape(escaped)),
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
                other => regex.push_str(&escape(other)),
            }
        }
        if alternatives > 0 {
            return Err(invalid("a '{' is not closed"));
        }
        regex.push_str(")$");
        Pattern::<Regex>::new(&regex)
            .map(Glob)
            .map_err(|error| invalid(&error))
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

/// `c` as a literal in a pattern, escaped when it means something there.
fn escape(c: char) -> String {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
