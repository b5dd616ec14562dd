//! OTTL statements and conditions as text → a syntax tree, with the column of every
//! mistake. The grammar is the Collector's (`pkg/ottl`): `editor(args) where condition`,
//! conditions of comparisons joined by `and`, `or`, `not` and parentheses; arguments are
//! literals, lists, paths (`attributes["k"][0]`), enums (`SPAN_KIND_SERVER`) and converter
//! calls (`IsMatch(name, "^GET")`).

use std::fmt;

/// A statement or condition that does not parse, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// 1-based character column in the text.
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

fn error<T>(column: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        column,
        message: message.into(),
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Comma,
    Dot,
    Compare(CompareOp),
    End,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One step into a value: `["key"]` or `[index]`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Key {
    Name(String),
    Index(i64),
}

/// A path as written: `resource.attributes["k"][0]` is the fields
/// `["resource", "attributes"]` and the keys `[Name("k"), Index(0)]`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawPath {
    pub(crate) fields: Vec<String>,
    pub(crate) keys: Vec<Key>,
    pub(crate) column: usize,
}

/// An argument or operand.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Expr>),
    Path(RawPath),
    /// An upper-case name not followed by `(`: an enum, or a function passed by name.
    Enum(String, usize),
    /// A converter: `Name(args)`, optionally indexed (`Split(x, ",")[0]`).
    Call(Call, Vec<Key>),
}

/// A function call as written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Call {
    pub(crate) name: String,
    pub(crate) args: Vec<Expr>,
    pub(crate) column: usize,
}

/// A condition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Condition {
    Literal(bool),
    Compare(Expr, CompareOp, Expr),
    /// A converter that returns a bool, e.g. `IsMatch(name, "x")`.
    Call(Call, Vec<Key>),
    Not(Box<Condition>),
    And(Vec<Condition>),
    Or(Vec<Condition>),
}

/// `editor(args) where condition`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Statement {
    pub(crate) editor: Call,
    pub(crate) condition: Option<Condition>,
}

struct Lexer<'a> {
    text: &'a str,
    /// Byte offset.
    at: usize,
}

impl Lexer<'_> {
    fn column(&self, byte: usize) -> usize {
        self.text[..byte].chars().count() + 1
    }

    /// The next token and the column it starts at.
    fn next(&mut self) -> Result<(Token, usize), SyntaxError> {
        let rest = &self.text[self.at..];
        let trimmed = rest.trim_start();
        self.at += rest.len() - trimmed.len();
        let start = self.at;
        let column = self.column(start);
        let mut chars = trimmed.chars();
        let Some(first) = chars.next() else {
            return Ok((Token::End, column));
        };
        let second = chars.next();
        let (token, length) = match first {
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            '[' => (Token::OpenBracket, 1),
            ']' => (Token::CloseBracket, 1),
            ',' => (Token::Comma, 1),
            '.' if !second.is_some_and(|c| c.is_ascii_digit()) => (Token::Dot, 1),
            '=' if second == Some('=') => (Token::Compare(CompareOp::Eq), 2),
            '!' if second == Some('=') => (Token::Compare(CompareOp::Ne), 2),
            '<' if second == Some('=') => (Token::Compare(CompareOp::Le), 2),
            '>' if second == Some('=') => (Token::Compare(CompareOp::Ge), 2),
            '<' => (Token::Compare(CompareOp::Lt), 1),
            '>' => (Token::Compare(CompareOp::Gt), 1),
            '"' => return self.string(start, column),
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                return self.number(start, column)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let length = trimmed
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(trimmed.len());
                (Token::Ident(trimmed[..length].to_owned()), length)
            }
            other => return error(column, format!("unexpected character '{other}'")),
        };
        self.at += length;
        Ok((token, column))
    }

    /// A double-quoted string with Go's escapes (`\"`, `\\`, `\n`, `\t`, `\x41`, `\u00e9`, …),
    /// as the Collector unquotes it: any other backslash is an error, so a regex's `\d`
    /// is written `\\d`.
    fn string(&mut self, start: usize, column: usize) -> Result<(Token, usize), SyntaxError> {
        let mut text = String::new();
        let mut chars = self.text[start + 1..].char_indices();
        let invalid = |offset: usize, why: &str| {
            error(
                self.column(start + 1 + offset),
                format!("invalid escape in a string: {why}"),
            )
        };
        while let Some((offset, c)) = chars.next() {
            match c {
                '"' => {
                    self.at = start + 1 + offset + 1;
                    return Ok((Token::Str(text), column));
                }
                '\\' => {
                    let Some((_, escaped)) = chars.next() else {
                        break;
                    };
                    let simple = match escaped {
                        'a' => Some('\u{7}'),
                        'b' => Some('\u{8}'),
                        'f' => Some('\u{c}'),
                        'n' => Some('\n'),
                        'r' => Some('\r'),
                        't' => Some('\t'),
                        'v' => Some('\u{b}'),
                        '\\' | '"' | '\'' => Some(escaped),
                        _ => None,
                    };
                    if let Some(simple) = simple {
                        text.push(simple);
                        continue;
                    }
                    let digits = match escaped {
                        'x' => 2,
                        'u' => 4,
                        'U' => 8,
                        '0'..='7' => {
                            let mut value = escaped.to_digit(8).unwrap_or(0);
                            for _ in 0..2 {
                                match chars.next().and_then(|(_, c)| c.to_digit(8)) {
                                    Some(digit) => value = value * 8 + digit,
                                    None => return invalid(offset, "an octal escape has three digits"),
                                }
                            }
                            match char::from_u32(value).filter(|_| value <= 0xff) {
                                Some(c) => text.push(c),
                                None => return invalid(offset, "an octal escape is at most \\377"),
                            }
                            continue;
                        }
                        other => {
                            return invalid(
                                offset,
                                &format!("\\{other} (write \\\\{other} for a backslash, e.g. in a regular expression)"),
                            )
                        }
                    };
                    let mut value = 0u32;
                    for _ in 0..digits {
                        match chars.next().and_then(|(_, c)| c.to_digit(16)) {
                            Some(digit) => value = value * 16 + digit,
                            None => {
                                return invalid(
                                    offset,
                                    &format!("\\{escaped} needs {digits} hex digits"),
                                )
                            }
                        }
                    }
                    match char::from_u32(value) {
                        Some(c) => text.push(c),
                        None => return invalid(offset, "not a Unicode character"),
                    }
                }
                c => text.push(c),
            }
        }
        error(column, "a string is not closed: add a '\"'")
    }

    fn number(&mut self, start: usize, column: usize) -> Result<(Token, usize), SyntaxError> {
        let rest = &self.text[start..];
        let mut length = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == 'E'))
            .map_or(rest.len(), |(offset, _)| offset);
        // An exponent's sign: `1e-3`.
        if rest[..length].ends_with(['e', 'E']) && rest[length..].starts_with(['-', '+']) {
            length += 1;
            length += rest[length..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - length);
        }
        let text = &rest[..length];
        self.at = start + length;
        if let Ok(int) = text.parse::<i64>() {
            return Ok((Token::Int(int), column));
        }
        match crate::platform::read_double(text) {
            Some(float) if text.contains(['.', 'e', 'E']) => Ok((Token::Float(float), column)),
            _ => error(column, format!("'{text}' is not a number")),
        }
    }
}

/// A recursive-descent parser over the lexer, one token of look-ahead.
struct Parser<'a> {
    lexer: Lexer<'a>,
    token: Token,
    column: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Result<Self, SyntaxError> {
        let mut lexer = Lexer { text, at: 0 };
        let (token, column) = lexer.next()?;
        Ok(Parser {
            lexer,
            token,
            column,
        })
    }

    fn advance(&mut self) -> Result<Token, SyntaxError> {
        let (next, column) = self.lexer.next()?;
        self.column = column;
        Ok(std::mem::replace(&mut self.token, next))
    }

    fn expect(&mut self, wanted: Token, what: &str) -> Result<(), SyntaxError> {
        if self.token == wanted {
            self.advance()?;
            Ok(())
        } else {
            error(
                self.column,
                format!("expected {what}, found {}", self.found()),
            )
        }
    }

    fn found(&self) -> String {
        match &self.token {
            Token::Ident(name) => format!("'{name}'"),
            Token::Str(text) => format!("\"{text}\""),
            Token::Int(value) => value.to_string(),
            Token::Float(value) => super::value::go_float(*value),
            Token::Open => "'('".into(),
            Token::Close => "')'".into(),
            Token::OpenBracket => "'['".into(),
            Token::CloseBracket => "']'".into(),
            Token::Comma => "','".into(),
            Token::Dot => "'.'".into(),
            Token::Compare(_) => "a comparison".into(),
            Token::End => "the end".into(),
        }
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.token, Token::Ident(name) if name == keyword)
    }

    fn end(&mut self) -> Result<(), SyntaxError> {
        if self.token == Token::End {
            Ok(())
        } else {
            error(
                self.column,
                format!("unexpected {} after the end", self.found()),
            )
        }
    }

    fn statement(&mut self) -> Result<Statement, SyntaxError> {
        let column = self.column;
        let name = match &self.token {
            Token::Ident(name) if name.starts_with(|c: char| c.is_ascii_lowercase()) => {
                name.clone()
            }
            _ => {
                return error(
                    column,
                    format!(
                    "a statement starts with an editor such as set(…) or delete_key(…), found {}",
                    self.found()
                ),
                )
            }
        };
        self.advance()?;
        let editor = self.call(name, column)?;
        let condition = if self.is_keyword("where") {
            self.advance()?;
            Some(self.or()?)
        } else {
            None
        };
        self.end()?;
        Ok(Statement { editor, condition })
    }

    /// The arguments of a call whose name was read.
    fn call(&mut self, name: String, column: usize) -> Result<Call, SyntaxError> {
        self.expect(Token::Open, "'(' after a function name")?;
        let mut args = Vec::new();
        if self.token != Token::Close {
            loop {
                args.push(self.value()?);
                if self.token != Token::Comma {
                    break;
                }
                self.advance()?;
            }
        }
        self.expect(Token::Close, "')' or ',' in the arguments")?;
        Ok(Call { name, args, column })
    }

    /// `a or b or …` (`or` binds looser than `and`).
    fn or(&mut self) -> Result<Condition, SyntaxError> {
        self.joined("or", Self::and, Condition::Or)
    }

    fn and(&mut self) -> Result<Condition, SyntaxError> {
        self.joined("and", Self::not, Condition::And)
    }

    /// Operands read by `operand`, joined by `keyword`; one alone is itself.
    fn joined(
        &mut self,
        keyword: &str,
        operand: fn(&mut Self) -> Result<Condition, SyntaxError>,
        join: fn(Vec<Condition>) -> Condition,
    ) -> Result<Condition, SyntaxError> {
        let mut operands = vec![operand(self)?];
        while self.is_keyword(keyword) {
            self.advance()?;
            operands.push(operand(self)?);
        }
        Ok(if operands.len() == 1 {
            operands.pop().unwrap_or(Condition::Literal(false))
        } else {
            join(operands)
        })
    }

    fn not(&mut self) -> Result<Condition, SyntaxError> {
        if self.is_keyword("not") {
            self.advance()?;
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        if self.token == Token::Open {
            self.advance()?;
            let inner = self.or()?;
            self.expect(Token::Close, "')'")?;
            return Ok(inner);
        }
        let column = self.column;
        let left = self.value()?;
        if let Token::Compare(op) = self.token {
            self.advance()?;
            let right = self.value()?;
            return Ok(Condition::Compare(left, op, right));
        }
        match left {
            Expr::Bool(value) => Ok(Condition::Literal(value)),
            Expr::Call(call, keys) => Ok(Condition::Call(call, keys)),
            _ => error(
                column,
                "a condition is a comparison (a == b), true, false or a converter such as IsMatch(…)",
            ),
        }
    }

    fn value(&mut self) -> Result<Expr, SyntaxError> {
        let column = self.column;
        match self.advance()? {
            Token::Str(text) => Ok(Expr::Str(text)),
            Token::Int(value) => Ok(Expr::Int(value)),
            Token::Float(value) => Ok(Expr::Float(value)),
            Token::OpenBracket => {
                let mut items = Vec::new();
                if self.token != Token::CloseBracket {
                    loop {
                        items.push(self.value()?);
                        if self.token != Token::Comma {
                            break;
                        }
                        self.advance()?;
                    }
                }
                self.expect(Token::CloseBracket, "']' or ',' in the list")?;
                Ok(Expr::List(items))
            }
            Token::Ident(name) => match name.as_str() {
                "nil" => Ok(Expr::Nil),
                "true" => Ok(Expr::Bool(true)),
                "false" => Ok(Expr::Bool(false)),
                _ if name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                    if self.token == Token::Open {
                        let call = self.call(name, column)?;
                        let keys = self.keys()?;
                        Ok(Expr::Call(call, keys))
                    } else {
                        Ok(Expr::Enum(name, column))
                    }
                }
                _ => {
                    if self.token == Token::Open {
                        return error(
                            column,
                            format!(
                                "{name}(…) is an editor: only converters (capitalized, such as Concat) return values"
                            ),
                        );
                    }
                    let mut fields = vec![name];
                    while self.token == Token::Dot {
                        self.advance()?;
                        match self.advance()? {
                            Token::Ident(field) => fields.push(field),
                            _ => return error(self.column, "expected a field name after '.'"),
                        }
                    }
                    let keys = self.keys()?;
                    Ok(Expr::Path(RawPath {
                        fields,
                        keys,
                        column,
                    }))
                }
            },
            other => {
                self.token = other;
                self.column = column;
                error(
                    column,
                    format!(
                        "expected a value (a literal, path, enum or converter), found {}",
                        self.found()
                    ),
                )
            }
        }
    }

    /// `["key"]` and `[index]` steps.
    fn keys(&mut self) -> Result<Vec<Key>, SyntaxError> {
        let mut keys = Vec::new();
        while self.token == Token::OpenBracket {
            self.advance()?;
            let column = self.column;
            keys.push(match self.advance()? {
                Token::Str(name) => Key::Name(name),
                Token::Int(index) => Key::Index(index),
                _ => return error(column, "a key is a string (\"k\") or an index (0)"),
            });
            self.expect(Token::CloseBracket, "']'")?;
        }
        Ok(keys)
    }
}

/// Parses one statement: `editor(args)`, optionally `where` a condition.
pub(crate) fn statement(text: &str) -> Result<Statement, SyntaxError> {
    Parser::new(text)?.statement()
}

/// Parses one condition (as the `filter` processor's lists hold them).
pub(crate) fn condition(text: &str) -> Result<Condition, SyntaxError> {
    let mut parser = Parser::new(text)?;
    let condition = parser.or()?;
    parser.end()?;
    Ok(condition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_with_a_condition() {
        let parsed =
            statement(r#"set(attributes["a"][0], Concat([name, "x"], "-")) where kind == SPAN_KIND_SERVER and not (name != "b" or true)"#)
                .unwrap();
        assert_eq!(parsed.editor.name, "set");
        assert_eq!(parsed.editor.args.len(), 2);
        assert!(matches!(parsed.condition, Some(Condition::And(ref terms)) if terms.len() == 2));
    }

    #[test]
    fn numbers_strings_and_escapes() {
        let parsed =
            statement(r#"set(x, -1.5e3) where a == "q\"\\d\u00e9\x41" and b >= -7"#).unwrap();
        assert_eq!(parsed.editor.args[1], Expr::Float(-1500.0));
        let Some(Condition::And(terms)) = parsed.condition else {
            panic!()
        };
        assert_eq!(
            terms[0],
            Condition::Compare(
                Expr::Path(RawPath {
                    fields: vec!["a".into()],
                    keys: vec![],
                    column: 22
                }),
                CompareOp::Eq,
                Expr::Str("q\"\\déA".into())
            )
        );
    }

    #[test]
    fn mistakes_name_their_column() {
        for (text, column) in [
            ("set(name, \"x\"", 14),
            ("set(name \"x\")", 10),
            ("Set(name, 1)", 1),
            ("set(name, 1) where", 19),
            ("set(name, 1) where name ==", 27),
            ("set(name, 1) where name", 20),
            ("set(name, 1) extra", 14),
            ("set(attributes[x], 1)", 16),
            ("set(name, \"open)", 11),
            ("set(name, 1.2.3)", 11),
            ("set(name, #)", 11),
            ("set(name, delete_key(x))", 11),
            (r#"set(name, "\d")"#, 12),
            (r#"set(name, "\x4")"#, 12),
        ] {
            let error = statement(text).expect_err(text);
            assert_eq!(error.column, column, "{text}: {error}");
        }
    }
}
