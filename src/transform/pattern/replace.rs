//! Go's `regexp` loops for finding every match and replacing it, and its `$` expansion,
//! written once over the engine: which empty matches count, and what `$01` means, are
//! Go's choices, and the Collector's output depends on them.

use std::borrow::Cow;

use super::{Engine, Pattern};

impl<E: Engine> Pattern<E> {
    /// Go's `ReplaceAllString`: every match replaced by `replacement` expanded; an empty
    /// match right after a match is not replaced; borrowed when nothing matched.
    pub(crate) fn replace_all<'t>(&self, text: &'t str, replacement: &str) -> Cow<'t, str> {
        let expands = replacement.contains('$');
        let mut out = String::new();
        let mut last_end = 0;
        let mut search_at = 0;
        let mut matched = false;
        while search_at <= text.len() {
            let (start, end, captures) = if expands {
                let Some(captures) = self.regex.captures_at(text, search_at) else {
                    break;
                };
                (captures[0].unwrap_or(0), captures[1].unwrap_or(0), captures)
            } else {
                let Some((start, end)) = self.regex.find_at(text, search_at) else {
                    break;
                };
                (start, end, Vec::new())
            };
            matched = true;
            out.push_str(&text[last_end..start]);
            if end > last_end || start == 0 {
                if expands {
                    self.expand(replacement, text, &captures, &mut out);
                } else {
                    out.push_str(replacement);
                }
            }
            last_end = end;
            let width = width_at(text, search_at);
            search_at = if search_at + width > end {
                search_at + width
            } else if search_at + 1 > end {
                search_at + 1
            } else {
                end
            };
        }
        if !matched {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[last_end..]);
        Cow::Owned(out)
    }

    /// Go's `FindAllStringSubmatchIndex`: each match's text, with `replacement` expanded
    /// for it, in order.
    pub(crate) fn expanded_matches(&self, text: &str, replacement: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut at = 0;
        let mut previous_end = None;
        while at <= text.len() {
            let Some(captures) = self.regex.captures_at(text, at) else {
                break;
            };
            let (start, end) = (captures[0].unwrap_or(0), captures[1].unwrap_or(0));
            // An empty match right after the previous match does not count.
            let accept = !(end == at && previous_end == Some(start));
            at = if end == at {
                at + width_at(text, at)
            } else {
                end
            };
            previous_end = Some(end);
            if accept {
                let mut expanded = String::new();
                self.expand(replacement, text, &captures, &mut expanded);
                out.push((text[start..end].to_owned(), expanded));
            }
        }
        out
    }

    /// Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}` (the longest name of letters,
    /// digits and `_`), `$$`; a group that did not match or does not exist gives nothing; a
    /// malformed `$` stays as it is.
    fn expand(&self, template: &str, text: &str, captures: &[Option<usize>], out: &mut String) {
        let mut rest = template;
        while let Some(dollar) = rest.find('$') {
            out.push_str(&rest[..dollar]);
            rest = &rest[dollar + 1..];
            if let Some(after) = rest.strip_prefix('$') {
                out.push('$');
                rest = after;
                continue;
            }
            let braced = rest.starts_with('{');
            let name_start = usize::from(braced);
            let name_end = rest[name_start..]
                .char_indices()
                .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
                .map_or(rest.len(), |(index, _)| name_start + index);
            let name = &rest[name_start..name_end];
            if name.is_empty() || (braced && !rest[name_end..].starts_with('}')) {
                out.push('$');
                continue;
            }
            rest = &rest[name_end + usize::from(braced)..];
            // A number names a group by its index, but not with a leading zero.
            let numbered =
                name.bytes().all(|b| b.is_ascii_digit()) && (name == "0" || !name.starts_with('0'));
            let group = if numbered {
                name.parse::<usize>().ok()
            } else {
                self.names
                    .iter()
                    .position(|known| known.as_deref() == Some(name))
            };
            let bounds = group
                .filter(|&group| group < self.names.len())
                .and_then(|group| Some((captures[2 * group]?, captures[2 * group + 1]?)));
            if let Some((start, end)) = bounds {
                out.push_str(&text[start..end]);
            }
        }
        out.push_str(rest);
    }
}

/// The width of the character at `at`; 1 at the end, where Go steps past the text.
fn width_at(text: &str, at: usize) -> usize {
    text[at..].chars().next().map_or(1, char::len_utf8)
}
