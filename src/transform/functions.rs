//! OTTL's functions in this subset, checked when a statement is compiled and run on a
//! span: the editors that change it (`set`, `delete_key`, `replace_pattern`, …) and the
//! converters that compute values (`Concat`, `IsMatch`, `SHA256`, …). Each behaves as the
//! Collector's `pkg/ottl/ottlfuncs` does, its surprises included (see the README).

use std::borrow::Cow;

use super::parse::{Call, Expr, Key};
use super::path::{MapMut, Path, Target};
use super::pattern::{Glob, Pattern};
use super::sha256::sha256_hex;
use super::value::{int_like, kind_of, string_like, Val};
use crate::model::{KeyValue, Value};
use crate::platform;

/// A value to compute.
#[derive(Clone, Debug)]
pub(crate) enum Getter {
    Literal(Val),
    Path(Path),
    List(Vec<Getter>),
    Converter(Box<Converter>, Vec<Key>),
}

/// A converter call.
#[derive(Clone, Debug)]
pub(crate) enum Converter {
    IsMatch(Getter, Pattern),
    Concat(Vec<Getter>, Getter),
    Substring(Getter, Getter, Getter),
    ToLowerCase(Getter),
    ToUpperCase(Getter),
    Len(Getter),
    Int(Getter),
    String(Getter),
    Sha256(Getter),
}

/// A converter passed by name, applied to each replacement (`replace_pattern(…, SHA256)`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum TextFunction {
    Sha256,
    ToLowerCase,
    ToUpperCase,
}

impl TextFunction {
    fn apply(self, text: &str) -> String {
        match self {
            TextFunction::Sha256 => sha256_hex(text.as_bytes()),
            TextFunction::ToLowerCase => platform::to_lowercase(text),
            TextFunction::ToUpperCase => platform::to_uppercase(text),
        }
    }
}

/// How a replacement is made: the text (with `$1` expanded), then an optional function
/// and an optional format with one `%s`.
#[derive(Clone, Debug)]
pub(crate) struct Replacement {
    text: Getter,
    function: Option<TextFunction>,
    format: Option<String>,
}

/// An editor call.
#[derive(Clone, Debug)]
pub(crate) enum Editor {
    Set(Path, Getter),
    DeleteKey(Path, Getter),
    DeleteMatchingKeys(Path, Pattern),
    KeepKeys(Path, Vec<String>),
    KeepMatchingKeys(Path, Pattern),
    ReplacePattern(Path, Pattern, Replacement),
    ReplaceAllPatterns(Path, bool, Pattern, Replacement),
    ReplaceMatch(Path, Glob, Getter),
    ReplaceAllMatches(Path, Glob, Getter),
    TruncateAll(Path, usize),
    Limit(Path, usize, Vec<String>),
}

/// The enums of the span context.
const ENUMS: [(&str, i64); 9] = [
    ("SPAN_KIND_UNSPECIFIED", 0),
    ("SPAN_KIND_INTERNAL", 1),
    ("SPAN_KIND_SERVER", 2),
    ("SPAN_KIND_CLIENT", 3),
    ("SPAN_KIND_PRODUCER", 4),
    ("SPAN_KIND_CONSUMER", 5),
    ("STATUS_CODE_UNSET", 0),
    ("STATUS_CODE_OK", 1),
    ("STATUS_CODE_ERROR", 2),
];

/// A compile error: what is wrong and at which column.
pub(crate) type CompileError = (usize, String);

fn arity(call: &Call, least: usize, most: usize) -> Result<(), CompileError> {
    let given = call.args.len();
    if (least..=most).contains(&given) {
        return Ok(());
    }
    let expected = if least == most {
        least.to_string()
    } else {
        format!("{least} to {most}")
    };
    Err((
        call.column,
        format!("{}() takes {expected} arguments, got {given}", call.name),
    ))
}

/// Compiles an argument into a value to compute.
pub(crate) fn getter(expr: &Expr) -> Result<Getter, CompileError> {
    Ok(match expr {
        Expr::Nil => Getter::Literal(None),
        Expr::Bool(value) => Getter::Literal(Some(Value::Bool(*value))),
        Expr::Int(value) => Getter::Literal(Some(Value::Int(*value))),
        Expr::Float(value) => Getter::Literal(Some(Value::Double(*value))),
        Expr::Str(text) => Getter::Literal(Some(Value::String(Cow::Owned(text.clone())))),
        Expr::List(items) => Getter::List(items.iter().map(getter).collect::<Result<_, _>>()?),
        Expr::Path(raw) => {
            Getter::Path(Path::resolve(raw).map_err(|message| (raw.column, message))?)
        }
        Expr::Enum(name, column) => match ENUMS.iter().find(|(known, _)| known == name) {
            Some((_, value)) => Getter::Literal(Some(Value::Int(*value))),
            None => return Err((*column, format!("unknown enum {name}"))),
        },
        Expr::Call(call, keys) => Getter::Converter(Box::new(converter(call)?), keys.clone()),
    })
}

fn literal_string(expr: &Expr, column: usize, what: &str) -> Result<String, CompileError> {
    match expr {
        Expr::Str(text) => Ok(text.clone()),
        _ => Err((column, format!("{what} must be a string literal"))),
    }
}

fn literal_int(expr: &Expr, column: usize, what: &str) -> Result<i64, CompileError> {
    match expr {
        Expr::Int(value) => Ok(*value),
        _ => Err((column, format!("{what} must be a whole number"))),
    }
}

fn literal_strings(expr: &Expr, column: usize, what: &str) -> Result<Vec<String>, CompileError> {
    match expr {
        Expr::List(items) => items
            .iter()
            .map(|item| literal_string(item, column, what))
            .collect(),
        _ => Err((
            column,
            format!("{what} must be a list of string literals, e.g. [\"a\", \"b\"]"),
        )),
    }
}

fn pattern(expr: &Expr, column: usize, function: &str) -> Result<Pattern, CompileError> {
    let text = literal_string(expr, column, &format!("{function}'s pattern"))?;
    Pattern::new(&text).map_err(|error| {
        (
            column,
            format!("invalid regular expression \"{text}\": {error}"),
        )
    })
}

fn glob(expr: &Expr, column: usize, function: &str) -> Result<Glob, CompileError> {
    let text = literal_string(expr, column, &format!("{function}'s pattern"))?;
    Glob::new(&text).map_err(|message| (column, message))
}

/// The map an editor changes: `attributes` or a key of it.
fn map_target(expr: &Expr, column: usize, function: &str) -> Result<Path, CompileError> {
    let path = target(expr, column, function)?;
    if path.field != super::path::Field::Attributes {
        return Err((
            column,
            format!("{function}() edits a map: give it attributes or attributes[\"key\"]"),
        ));
    }
    Ok(path)
}

/// A path a statement writes.
fn target(expr: &Expr, column: usize, function: &str) -> Result<Path, CompileError> {
    let Expr::Path(raw) = expr else {
        return Err((
            column,
            format!("{function}()'s first argument must be a path, e.g. attributes[\"key\"]"),
        ));
    };
    let path = Path::resolve(raw).map_err(|message| (raw.column, message))?;
    if !path.is_writable() {
        return Err((
            raw.column,
            "resource.attributes are read-only here: the resource is set in the configuration"
                .into(),
        ));
    }
    Ok(path)
}

fn replacement(call: &Call, at: usize) -> Result<Replacement, CompileError> {
    let text = getter(&call.args[at])?;
    let function = match call.args.get(at + 1) {
        None => None,
        Some(Expr::Enum(name, column)) => Some(match name.as_str() {
            "SHA256" => TextFunction::Sha256,
            "ToLowerCase" => TextFunction::ToLowerCase,
            "ToUpperCase" => TextFunction::ToUpperCase,
            other => return Err((*column, format!("{other} cannot transform a replacement (SHA256, ToLowerCase and ToUpperCase can)"))),
        }),
        Some(_) => return Err((call.column, format!("{}()'s optional function is a converter's name, e.g. SHA256", call.name))),
    };
    let format = match call.args.get(at + 2) {
        None => None,
        Some(expr) => {
            let format = literal_string(expr, call.column, "the replacement format")?;
            if format.matches("%s").count() != 1 || format.replace("%s", "").contains('%') {
                return Err((
                    call.column,
                    "the replacement format must hold one %s and no other %".into(),
                ));
            }
            Some(format)
        }
    };
    Ok(Replacement {
        text,
        function,
        format,
    })
}

/// Compiles an editor call.
pub(crate) fn editor(call: &Call) -> Result<Editor, CompileError> {
    let args = &call.args;
    let column = call.column;
    let name = call.name.as_str();
    Ok(match name {
        "set" => {
            arity(call, 2, 2)?;
            Editor::Set(target(&args[0], column, name)?, getter(&args[1])?)
        }
        "delete_key" => {
            arity(call, 2, 2)?;
            Editor::DeleteKey(map_target(&args[0], column, name)?, getter(&args[1])?)
        }
        "delete_matching_keys" => {
            arity(call, 2, 2)?;
            Editor::DeleteMatchingKeys(map_target(&args[0], column, name)?, pattern(&args[1], column, name)?)
        }
        "keep_keys" => {
            arity(call, 2, 2)?;
            Editor::KeepKeys(map_target(&args[0], column, name)?, literal_strings(&args[1], column, "keep_keys's keys")?)
        }
        "keep_matching_keys" => {
            arity(call, 2, 2)?;
            Editor::KeepMatchingKeys(map_target(&args[0], column, name)?, pattern(&args[1], column, name)?)
        }
        "replace_pattern" => {
            arity(call, 3, 5)?;
            Editor::ReplacePattern(target(&args[0], column, name)?, pattern(&args[1], column, name)?, replacement(call, 2)?)
        }
        "replace_all_patterns" => {
            arity(call, 4, 6)?;
            let by_key = match literal_string(&args[1], column, "replace_all_patterns's mode")?.as_str() {
                "key" => true,
                "value" => false,
                other => return Err((column, format!("replace_all_patterns's mode must be \"key\" or \"value\", got \"{other}\""))),
            };
            Editor::ReplaceAllPatterns(map_target(&args[0], column, name)?, by_key, pattern(&args[2], column, name)?, replacement(call, 3)?)
        }
        "replace_match" => {
            arity(call, 3, 3)?;
            Editor::ReplaceMatch(target(&args[0], column, name)?, glob(&args[1], column, name)?, getter(&args[2])?)
        }
        "replace_all_matches" => {
            arity(call, 3, 3)?;
            Editor::ReplaceAllMatches(map_target(&args[0], column, name)?, glob(&args[1], column, name)?, getter(&args[2])?)
        }
        "truncate_all" => {
            arity(call, 2, 2)?;
            let limit = literal_int(&args[1], column, "truncate_all's limit")?;
            let limit = usize::try_from(limit).map_err(|_| (column, format!("truncate_all's limit {limit} cannot be negative")))?;
            Editor::TruncateAll(map_target(&args[0], column, name)?, limit)
        }
        "limit" => {
            arity(call, 2, 3)?;
            let limit = literal_int(&args[1], column, "limit's limit")?;
            let limit = usize::try_from(limit).map_err(|_| (column, format!("limit {limit} cannot be negative")))?;
            let priority = match args.get(2) {
                Some(keys) => literal_strings(keys, column, "limit's priority keys")?,
                None => Vec::new(),
            };
            if priority.len() > limit {
                return Err((column, format!("limit {limit} is less than the {} priority keys", priority.len())));
            }
            Editor::Limit(map_target(&args[0], column, name)?, limit, priority)
        }
        _ => return Err((column, format!(
            "unknown editor {name}(): this subset has set, delete_key, delete_matching_keys, keep_keys, keep_matching_keys, replace_pattern, replace_all_patterns, replace_match, replace_all_matches, truncate_all and limit"
        ))),
    })
}

/// Compiles a converter call.
pub(crate) fn converter(call: &Call) -> Result<Converter, CompileError> {
    let args = &call.args;
    let column = call.column;
    let one = |call: &Call| -> Result<Getter, CompileError> {
        arity(call, 1, 1)?;
        getter(&call.args[0])
    };
    Ok(match call.name.as_str() {
        "IsMatch" => {
            arity(call, 2, 2)?;
            Converter::IsMatch(getter(&args[0])?, pattern(&args[1], column, "IsMatch")?)
        }
        "Concat" => {
            arity(call, 2, 2)?;
            let Expr::List(items) = &args[0] else {
                return Err((column, "Concat's first argument is a list, e.g. Concat([name, \"x\"], \"-\")".into()));
            };
            Converter::Concat(items.iter().map(getter).collect::<Result<_, _>>()?, getter(&args[1])?)
        }
        "Substring" => {
            arity(call, 3, 3)?;
            Converter::Substring(getter(&args[0])?, getter(&args[1])?, getter(&args[2])?)
        }
        "ToLowerCase" => Converter::ToLowerCase(one(call)?),
        "ToUpperCase" => Converter::ToUpperCase(one(call)?),
        "Len" => Converter::Len(one(call)?),
        "Int" => Converter::Int(one(call)?),
        "String" => Converter::String(one(call)?),
        "SHA256" => Converter::Sha256(one(call)?),
        other => return Err((column, format!(
            "unknown converter {other}(): this subset has IsMatch, Concat, Substring, ToLowerCase, ToUpperCase, Len, Int, String and SHA256"
        ))),
    })
}

/// A value computed or borrowed from the span; `None` is nil.
pub(crate) type Fetched<'a> = Option<Cow<'a, Value>>;

impl Getter {
    /// The value, borrowed where it already exists (a literal, an attribute): reading costs
    /// no allocation.
    pub(crate) fn fetch<'a>(&'a self, target: &'a Target<'_>) -> Result<Fetched<'a>, String> {
        match self {
            Getter::Literal(value) => Ok(value.as_ref().map(Cow::Borrowed)),
            Getter::Path(path) => target.fetch(path),
            Getter::List(items) => Ok(Some(Cow::Owned(Value::Array(
                items
                    .iter()
                    .map(|item| {
                        item.fetch(target).map(|value| {
                            value.map_or(Value::String(Cow::Borrowed("")), Cow::into_owned)
                        })
                    })
                    .collect::<Result<_, _>>()?,
            )))),
            Getter::Converter(converter, keys) => {
                Ok(call_indexed(converter, keys, target)?.map(Cow::Owned))
            }
        }
    }

    /// The value, owned.
    pub(crate) fn get(&self, target: &Target<'_>) -> Result<Val, String> {
        Ok(self.fetch(target)?.map(Cow::into_owned))
    }

    /// A string argument, borrowed.
    fn text<'a>(&'a self, target: &'a Target<'_>, what: &str) -> Result<Cow<'a, str>, String> {
        match self.fetch(target)? {
            Some(Cow::Borrowed(Value::String(text))) => Ok(Cow::Borrowed(text)),
            Some(Cow::Owned(Value::String(text))) => Ok(Cow::Owned(text.into_owned())),
            Some(other) => Err(format!("{what} must be a string, got {}", kind_of(&other))),
            None => Err(format!("{what} must be a string, got nil")),
        }
    }

    fn string(&self, target: &Target<'_>, what: &str) -> Result<String, String> {
        self.text(target, what).map(Cow::into_owned)
    }

    fn int(&self, target: &Target<'_>, what: &str) -> Result<i64, String> {
        match self.fetch(target)?.as_deref() {
            Some(Value::Int(int)) => Ok(*int),
            Some(other) => Err(format!("{what} must be an int, got {}", kind_of(other))),
            None => Err(format!("{what} must be an int, got nil")),
        }
    }
}

/// A converter's result, indexed by `keys` (`Converter(…)[0]["k"]`).
pub(crate) fn call_indexed(
    converter: &Converter,
    keys: &[Key],
    target: &Target<'_>,
) -> Result<Val, String> {
    let mut value = converter.call(target)?;
    for key in keys {
        value = match (value, key) {
            (Some(Value::Array(items)), Key::Index(index)) => Some(
                usize::try_from(*index)
                    .ok()
                    .and_then(|index| items.into_iter().nth(index))
                    .ok_or_else(|| format!("index {index} is out of range"))?,
            ),
            (Some(Value::KvList(entries)), Key::Name(name)) => entries
                .into_iter()
                .find(|kv| kv.key == *name)
                .map(|kv| kv.value),
            (None, _) => None,
            (Some(other), _) => return Err(format!("{} cannot be indexed so", kind_of(&other))),
        };
    }
    Ok(value)
}

fn text(text: String) -> Val {
    Some(Value::String(Cow::Owned(text)))
}

impl Converter {
    pub(crate) fn call(&self, target: &Target<'_>) -> Result<Val, String> {
        Ok(match self {
            Converter::IsMatch(value, pattern) => {
                let value = value.fetch(target)?;
                Some(Value::Bool(
                    string_like(value.as_deref()).is_some_and(|text| pattern.is_match(&text)),
                ))
            }
            Converter::Concat(items, delimiter) => {
                let delimiter = delimiter.string(target, "Concat's delimiter")?;
                let mut joined = String::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        joined.push_str(&delimiter);
                    }
                    let value = item.fetch(target)?;
                    joined
                        .push_str(&string_like(value.as_deref()).unwrap_or(Cow::Borrowed("<nil>")));
                }
                text(joined)
            }
            Converter::Substring(value, start, length) => {
                let value = value.string(target, "Substring's target")?;
                let start = start.int(target, "Substring's start")?;
                let length = length.int(target, "Substring's length")?;
                if start < 0 || length <= 0 {
                    return Err(format!(
                        "Substring's start ({start}) must be ≥ 0 and its length ({length}) > 0"
                    ));
                }
                let end = start.saturating_add(length) as usize;
                match value.get(start as usize..end) {
                    Some(part) => text(part.to_owned()),
                    None if end > value.len() => {
                        return Err(format!(
                        "Substring's start + length ({end}) exceeds the length of the target ({})",
                        value.len()
                    ))
                    }
                    None => return Err("Substring would cut a character in two".into()),
                }
            }
            Converter::ToLowerCase(value) => text(platform::to_lowercase(
                &value.string(target, "ToLowerCase's target")?,
            )),
            Converter::ToUpperCase(value) => text(platform::to_uppercase(
                &value.string(target, "ToUpperCase's target")?,
            )),
            Converter::Len(value) => match value.get(target)? {
                Some(Value::String(text)) => Some(Value::Int(text.len() as i64)),
                Some(Value::Array(items)) => Some(Value::Int(items.len() as i64)),
                Some(Value::KvList(entries)) => Some(Value::Int(entries.len() as i64)),
                Some(other) => {
                    return Err(format!(
                        "Len takes a string, list or map, got {}",
                        kind_of(&other)
                    ))
                }
                None => return Err("Len takes a string, list or map, got nil".into()),
            },
            Converter::Int(value) => int_like(value.fetch(target)?.as_deref())?.map(Value::Int),
            Converter::String(value) => {
                let value = value.fetch(target)?;
                string_like(value.as_deref())
                    .map(|text| Value::String(Cow::Owned(text.into_owned())))
            }
            Converter::Sha256(value) => text(sha256_hex(
                value.string(target, "SHA256's value")?.as_bytes(),
            )),
        })
    }
}

impl Replacement {
    /// `original` with every match of `pattern` replaced, as `replace_pattern` does;
    /// `None` when nothing matches.
    fn apply(
        &self,
        pattern: &Pattern,
        original: &str,
        target: &Target<'_>,
    ) -> Result<Option<String>, String> {
        let replacement = self.text.text(target, "the replacement")?;
        if self.function.is_none() && self.format.is_none() {
            return Ok(match pattern.replace_all(original, &replacement) {
                Cow::Borrowed(_) => None,
                Cow::Owned(updated) => Some(updated),
            });
        }
        if !pattern.is_match(original) {
            return Ok(None);
        }
        // As the Collector does: each match's expanded replacement goes through the
        // function and the format, then every occurrence of that match's text is replaced.
        let mut updated = original.to_owned();
        for (matched, expanded) in pattern.expanded_matches(original, &replacement) {
            let mut value = match self.function {
                Some(function) => function.apply(&expanded),
                None => expanded,
            };
            if let Some(format) = &self.format {
                value = format.replacen("%s", &value, 1);
            }
            updated = updated.replace(&matched, &value);
        }
        Ok(Some(updated))
    }
}

impl Editor {
    pub(crate) fn run(&self, target: &mut Target<'_>) -> Result<(), String> {
        match self {
            Editor::Set(path, value) => match value.get(target)? {
                Some(value) => target.set(path, value)?,
                // The Collector writes an empty value into a map for nil; other fields
                // ignore it.
                None if path.field == super::path::Field::Attributes => {
                    target.set(path, Value::Empty)?
                }
                None => {}
            },
            Editor::DeleteKey(path, key) => {
                let key = match key {
                    Getter::Literal(Some(Value::String(key))) => Cow::Borrowed(key.as_ref()),
                    key => Cow::Owned(key.string(target, "delete_key's key")?),
                };
                // As pcommon's Map.Remove: the last entry moves into the hole, which
                // changes the order a later `limit` sees.
                edit_map(target, path, |map| {
                    if let Some(at) = map.entries.iter().position(|kv| kv.key == key) {
                        map.entries.swap_remove(at);
                    }
                })?;
            }
            Editor::DeleteMatchingKeys(path, pattern) => {
                edit_map(target, path, |map| {
                    map.entries.retain(|kv| !pattern.is_match(&kv.key))
                })?;
            }
            Editor::KeepKeys(path, keys) => {
                edit_map(target, path, |map| {
                    map.entries
                        .retain(|kv| keys.iter().any(|key| *key == kv.key))
                })?;
            }
            Editor::KeepMatchingKeys(path, pattern) => {
                edit_map(target, path, |map| {
                    map.entries.retain(|kv| pattern.is_match(&kv.key))
                })?;
            }
            Editor::ReplacePattern(path, pattern, replacement) => {
                let updated = match target.fetch(path)?.as_deref() {
                    Some(Value::String(original)) => {
                        replacement.apply(pattern, original, target)?
                    }
                    _ => None,
                };
                if let Some(updated) = updated {
                    target.set(path, Value::String(Cow::Owned(updated)))?;
                }
            }
            Editor::ReplaceAllPatterns(path, by_key, pattern, replacement) => {
                let Some(Value::KvList(entries)) = target.get(path)? else {
                    return Ok(());
                };
                let mut updated: Vec<KeyValue> = Vec::with_capacity(entries.len());
                for entry in entries {
                    // In value mode only strings are considered.
                    let subject: &str = match (&entry.value, *by_key) {
                        (_, true) => &entry.key,
                        (Value::String(text), false) => text,
                        (_, false) => {
                            put(&mut updated, entry.key, entry.value);
                            continue;
                        }
                    };
                    if !pattern.is_match(subject) {
                        put(&mut updated, entry.key, entry.value);
                        continue;
                    }
                    let replaced = replacement
                        .apply(pattern, subject, target)?
                        .unwrap_or_else(|| subject.to_owned());
                    match (*by_key, replacement.function.is_some()) {
                        // With a function, the Collector writes the result as the value.
                        (true, true) | (false, _) => {
                            put(&mut updated, entry.key, Value::String(Cow::Owned(replaced)))
                        }
                        (true, false) => put(&mut updated, Cow::Owned(replaced), entry.value),
                    }
                }
                edit_map(target, path, |map| *map.entries = updated)?;
            }
            Editor::ReplaceMatch(path, glob, replacement) => {
                if let Some(Value::String(original)) = target.get(path)? {
                    if glob.is_match(&original) {
                        let replacement = replacement.string(target, "the replacement")?;
                        target.set(path, Value::String(Cow::Owned(replacement)))?;
                    }
                }
            }
            Editor::ReplaceAllMatches(path, glob, replacement) => {
                let replacement = replacement.string(target, "the replacement")?;
                edit_map(target, path, |map| {
                    for entry in map.entries.iter_mut() {
                        if matches!(&entry.value, Value::String(text) if glob.is_match(text)) {
                            entry.value = Value::String(Cow::Owned(replacement.clone()));
                        }
                    }
                })?;
            }
            Editor::TruncateAll(path, limit) => edit_map(target, path, |map| {
                for entry in map.entries.iter_mut() {
                    if let Value::String(text) = &mut entry.value {
                        if text.len() > *limit {
                            // At a character boundary: a string stays UTF-8.
                            let mut end = *limit;
                            while !text.is_char_boundary(end) {
                                end -= 1;
                            }
                            text.to_mut().truncate(end);
                        }
                    }
                }
            })?,
            Editor::Limit(path, limit, priority) => edit_map(target, path, |map| {
                if map.entries.len() <= *limit {
                    return;
                }
                let mut kept = map
                    .entries
                    .iter()
                    .filter(|kv| priority.iter().any(|key| *key == kv.key))
                    .count();
                map.entries.retain(|kv| {
                    if priority.iter().any(|key| *key == kv.key) {
                        return true;
                    }
                    kept += 1;
                    kept <= *limit
                });
            })?,
        }
        Ok(())
    }
}

/// Puts `key` in `entries`, overwriting in place when it is there (pcommon's `PutEmpty`).
fn put(entries: &mut Vec<KeyValue>, key: Cow<'static, str>, value: Value) {
    match entries.iter_mut().find(|kv| kv.key == key) {
        Some(entry) => entry.value = value,
        None => entries.push(KeyValue { key, value }),
    }
}

fn edit_map(
    target: &mut Target<'_>,
    path: &Path,
    edit: impl FnOnce(&mut MapMut<'_>),
) -> Result<(), String> {
    if let Some(mut map) = target.map_mut(path)? {
        edit(&mut map);
        if let Some(max) = map.max_count {
            // Renames cannot add entries, but a whole-map edit must not pass the limit.
            map.entries.truncate(max as usize);
        }
    }
    Ok(())
}
