//! RE2 syntax as Go's `regexp/syntax` reads it with its Perl flags (the Collector's reading),
//! parsed into a tree: literals, `.`, classes (ranges, negation, `\d\w\s` and their
//! negations, `[:alpha:]`), `\Q…\E`, anchors and `\b`, groups (numbered, named,
//! non-capturing, flag groups `i m s U`), alternation and repetition (greedy or lazy,
//! `{n,m}` up to 1000). Unicode classes (`\p{…}`) are refused: they would bring Unicode's
//! tables into the browser's module.

/// A node of the tree.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Node {
    Empty,
    Class(Class),
    Look(Look),
    /// A group; `Some(index)` captures.
    Group(Box<Node>, Option<usize>),
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
}

/// A set of characters (a literal is a class of one).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Class {
    pub(super) ranges: Vec<(char, char)>,
    pub(super) negated: bool,
    /// Case-insensitive: a character matches when it or its other case is in the set.
    pub(super) fold: bool,
}

/// A zero-width assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Look {
    TextStart,
    TextEnd,
    LineStart,
    LineEnd,
    WordBoundary,
    NotWordBoundary,
}

/// What the tree needs besides its nodes: the capture groups' names (index 0 is the match).
pub(super) struct Parsed {
    pub(super) node: Node,
    pub(super) names: Vec<Option<String>>,
}

/// Go refuses larger counts in `{n,m}`.
const MOST_REPEATS: u32 = 1000;
/// Groups nested deeper are refused (the parser and compiler recurse once per group); the
/// `regex` crate's default limit, so both engines refuse the same.
const DEEPEST_NESTING: usize = 250;

#[derive(Clone, Copy, Default)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_matches_newline: bool,
    ungreedy: bool,
}

struct Parser<'p> {
    chars: std::iter::Peekable<std::str::Chars<'p>>,
    flags: Flags,
    names: Vec<Option<String>>,
    depth: usize,
}

pub(super) fn parse(pattern: &str) -> Result<Parsed, String> {
    let mut parser = Parser {
        chars: pattern.chars().peekable(),
        flags: Flags::default(),
        names: vec![None],
        depth: 0,
    };
    let node = parser.alternation()?;
    match parser.chars.next() {
        None => Ok(Parsed {
            node,
            names: parser.names,
        }),
        Some(_) => Err("unexpected )".into()),
    }
}

const ASCII_DIGITS: &[(char, char)] = &[('0', '9')];
const ASCII_WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
const ASCII_SPACE: &[(char, char)] = &[('\t', '\n'), ('\x0C', '\r'), (' ', ' ')];

/// The POSIX classes Go knows inside brackets (ASCII, as in Go).
fn posix_class(name: &str) -> Option<&'static [(char, char)]> {
    Some(match name {
        "alnum" => &[('0', '9'), ('A', 'Z'), ('a', 'z')],
        "alpha" => &[('A', 'Z'), ('a', 'z')],
        "ascii" => &[('\0', '\x7F')],
        "blank" => &[('\t', '\t'), (' ', ' ')],
        "cntrl" => &[('\0', '\x1F'), ('\x7F', '\x7F')],
        "digit" => ASCII_DIGITS,
        "graph" => &[('!', '~')],
        "lower" => &[('a', 'z')],
        "print" => &[(' ', '~')],
        "punct" => &[('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        "space" => &[('\t', '\r'), (' ', ' ')],
        "upper" => &[('A', 'Z')],
        "word" => ASCII_WORD,
        "xdigit" => &[('0', '9'), ('A', 'F'), ('a', 'f')],
        _ => return None,
    })
}

/// The ranges not in `ranges` (sorted and apart, as the named classes are), over all
/// characters.
fn complement(ranges: &[(char, char)]) -> Vec<(char, char)> {
    let mut out = Vec::new();
    let mut next = 0u32;
    for &(low, high) in ranges {
        if (low as u32) > next {
            push_range(&mut out, next, low as u32 - 1);
        }
        next = next.max(high as u32 + 1);
    }
    push_range(&mut out, next, char::MAX as u32);
    out
}

/// Adds `low..=high` without the surrogate gap, which holds no character.
fn push_range(out: &mut Vec<(char, char)>, low: u32, high: u32) {
    for (low, high) in [(low, high.min(0xD7FF)), (low.max(0xE000), high)] {
        if let (Some(low), Some(high)) = (char::from_u32(low), char::from_u32(high)) {
            if low <= high {
                out.push((low, high));
            }
        }
    }
}

impl Parser<'_> {
    fn class_of(&self, ranges: Vec<(char, char)>, negated: bool) -> Node {
        Node::Class(Class {
            ranges,
            negated,
            fold: self.flags.fold,
        })
    }

    fn alternation(&mut self) -> Result<Node, String> {
        let mut branches = vec![self.concatenation()?];
        while self.chars.next_if_eq(&'|').is_some() {
            branches.push(self.concatenation()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alternate(branches)
        })
    }

    fn concatenation(&mut self) -> Result<Node, String> {
        let mut nodes = Vec::new();
        while let Some(&c) = self.chars.peek() {
            if c == '|' || c == ')' {
                break;
            }
            self.chars.next();
            let node = match c {
                '(' => match self.group()? {
                    Some(node) => node,
                    None => continue,
                },
                '[' => self.bracket()?,
                '.' => {
                    let newline = if self.flags.dot_matches_newline {
                        vec![]
                    } else {
                        vec![('\n', '\n')]
                    };
                    Node::Class(Class {
                        ranges: newline,
                        negated: true,
                        fold: false,
                    })
                }
                '^' => Node::Look(if self.flags.multi_line {
                    Look::LineStart
                } else {
                    Look::TextStart
                }),
                '$' => Node::Look(if self.flags.multi_line {
                    Look::LineEnd
                } else {
                    Look::TextEnd
                }),
                '\\' => match self.escape_outside()? {
                    // `\Q…\E`: a repetition after it applies to its last character.
                    Node::Concat(mut literals) => {
                        let last = literals.pop();
                        nodes.extend(literals);
                        match last {
                            Some(last) => last,
                            None => continue,
                        }
                    }
                    node => node,
                },
                '*' | '+' | '?' => {
                    return Err(format!("missing argument to repetition operator: `{c}`"))
                }
                literal => self.class_of(vec![(literal, literal)], false),
            };
            let node = self.repetitions(node)?;
            nodes.push(node);
        }
        Ok(match nodes.len() {
            0 => Node::Empty,
            1 => nodes.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(nodes),
        })
    }

    /// `node` with the repetition operators that follow it (only one: Go refuses `a**`).
    fn repetitions(&mut self, node: Node) -> Result<Node, String> {
        let (min, max) = match self.chars.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => match self.counts()? {
                Some(counts) => counts,
                None => return Ok(node),
            },
            _ => return Ok(node),
        };
        self.chars.next();
        let lazy = self.chars.next_if_eq(&'?').is_some();
        if matches!(self.chars.peek(), Some('*' | '+' | '?'))
            || (self.chars.peek() == Some(&'{') && self.counts_ahead())
        {
            return Err("invalid nested repetition operator".into());
        }
        Ok(Node::Repeat {
            node: Box::new(node),
            min,
            max,
            greedy: lazy == self.flags.ungreedy,
        })
    }

    /// Whether a `{` at the cursor starts a repetition.
    fn counts_ahead(&mut self) -> bool {
        let saved = self.chars.clone();
        let counts = self.counts();
        self.chars = saved;
        !matches!(counts, Ok(None))
    }

    /// `{n}`, `{n,}` or `{n,m}` at the cursor, consumed but for the closing brace; `None`
    /// (nothing consumed) when the brace is not a repetition, which makes it a literal.
    fn counts(&mut self) -> Result<Option<(u32, Option<u32>)>, String> {
        let mut lookahead = self.chars.clone();
        lookahead.next();
        let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut digits = String::new();
            while let Some(digit) = chars.next_if(char::is_ascii_digit) {
                digits.push(digit);
            }
            (!digits.is_empty()).then(|| digits.parse::<u32>().unwrap_or(u32::MAX))
        };
        let Some(min) = number(&mut lookahead) else {
            return Ok(None);
        };
        let max = if lookahead.next_if_eq(&',').is_some() {
            number(&mut lookahead)
        } else {
            Some(min)
        };
        if lookahead.peek() != Some(&'}') {
            return Ok(None);
        }
        if min > MOST_REPEATS || max.is_some_and(|max| max > MOST_REPEATS || max < min) {
            return Err("invalid repeat count".into());
        }
        self.chars = lookahead;
        Ok(Some((min, max)))
    }

    /// After `(`: a group, or `None` for a flag group such as `(?i)` that sets flags for
    /// the rest of the enclosing group.
    fn group(&mut self) -> Result<Option<Node>, String> {
        self.depth += 1;
        if self.depth > DEEPEST_NESTING {
            return Err("expression nests too deeply".into());
        }
        let saved = self.flags;
        let mut capture = None;
        if self.chars.next_if_eq(&'?').is_some() {
            if self.chars.next_if_eq(&'P').is_some() && self.chars.peek() != Some(&'<') {
                return Err("invalid named capture".into());
            }
            if self.chars.next_if_eq(&'<').is_some() {
                let mut name = String::new();
                loop {
                    match self.chars.next() {
                        Some('>') => break,
                        Some(c) if c.is_ascii_alphanumeric() || c == '_' => name.push(c),
                        _ => return Err("invalid named capture".into()),
                    }
                }
                if name.is_empty() || self.names.iter().flatten().any(|known| *known == name) {
                    return Err(format!("invalid named capture: `{name}`"));
                }
                capture = Some(self.names.len());
                self.names.push(Some(name));
            } else {
                let mut negated = false;
                let mut flags = self.flags;
                loop {
                    let setting = !negated;
                    match self.chars.next() {
                        Some('i') => flags.fold = setting,
                        Some('m') => flags.multi_line = setting,
                        Some('s') => flags.dot_matches_newline = setting,
                        Some('U') => flags.ungreedy = setting,
                        Some('-') if !negated => negated = true,
                        Some(')') => {
                            self.flags = flags;
                            self.depth -= 1;
                            return Ok(None);
                        }
                        Some(':') => {
                            self.flags = flags;
                            break;
                        }
                        _ => return Err("invalid or unsupported Perl syntax".into()),
                    }
                }
            }
        } else {
            capture = Some(self.names.len());
            self.names.push(None);
        }
        let inner = self.alternation()?;
        if self.chars.next() != Some(')') {
            return Err("missing closing )".into());
        }
        self.flags = saved;
        self.depth -= 1;
        Ok(Some(Node::Group(Box::new(inner), capture)))
    }

    /// After `\` outside brackets.
    fn escape_outside(&mut self) -> Result<Node, String> {
        let look = match self.chars.peek() {
            Some('A') => Some(Look::TextStart),
            Some('z') => Some(Look::TextEnd),
            Some('b') => Some(Look::WordBoundary),
            Some('B') => Some(Look::NotWordBoundary),
            _ => None,
        };
        if let Some(look) = look {
            self.chars.next();
            return Ok(Node::Look(look));
        }
        if self.chars.next_if_eq(&'Q').is_some() {
            let mut literals = Vec::new();
            while let Some(c) = self.chars.next() {
                if c == '\\' && self.chars.next_if_eq(&'E').is_some() {
                    break;
                }
                literals.push(self.class_of(vec![(c, c)], false));
            }
            return Ok(Node::Concat(literals));
        }
        let (ranges, negated) = self.escape()?;
        Ok(self.class_of(ranges, negated))
    }

    /// After `\`, inside brackets or out: a character or a Perl class, as ranges and
    /// whether they are negated.
    fn escape(&mut self) -> Result<(Vec<(char, char)>, bool), String> {
        let Some(c) = self.chars.next() else {
            return Err("trailing backslash at end of expression".into());
        };
        let single = |c: char| Ok((vec![(c, c)], false));
        match c {
            'd' | 'D' => Ok((ASCII_DIGITS.to_vec(), c == 'D')),
            'w' | 'W' => Ok((ASCII_WORD.to_vec(), c == 'W')),
            's' | 'S' => Ok((ASCII_SPACE.to_vec(), c == 'S')),
            'a' => single('\x07'),
            'f' => single('\x0C'),
            't' => single('\t'),
            'n' => single('\n'),
            'r' => single('\r'),
            'v' => single('\x0B'),
            '0'..='7' => {
                // Octal: `\0` and up to two more digits, or two or three digits (a single
                // `\1`…`\7` would be a backreference, which RE2 does not have).
                let mut value = c.to_digit(8).unwrap_or(0);
                let mut digits = 1;
                while digits < 3 {
                    match self.chars.next_if(|d| ('0'..='7').contains(d)) {
                        Some(d) => value = value * 8 + d.to_digit(8).unwrap_or(0),
                        None => break,
                    }
                    digits += 1;
                }
                if c != '0' && digits == 1 {
                    return Err(format!("invalid escape sequence: `\\{c}`"));
                }
                single(char::from_u32(value).unwrap_or('\0'))
            }
            'x' => {
                let mut hex = String::new();
                if self.chars.next_if_eq(&'{').is_some() {
                    loop {
                        match self.chars.next() {
                            Some('}') => break,
                            Some(d) if d.is_ascii_hexdigit() && hex.len() < 8 => hex.push(d),
                            _ => return Err("invalid escape sequence: `\\x{`".into()),
                        }
                    }
                } else {
                    for _ in 0..2 {
                        match self.chars.next_if(char::is_ascii_hexdigit) {
                            Some(d) => hex.push(d),
                            None => return Err("invalid escape sequence: `\\x`".into()),
                        }
                    }
                }
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(c) => single(c),
                    None => Err("invalid escape sequence: `\\x`".into()),
                }
            }
            'p' | 'P' => Err("Unicode classes (`\\p`) are not supported in the browser".into()),
            c if c.is_ascii_punctuation() => single(c),
            c => Err(format!("invalid escape sequence: `\\{c}`")),
        }
    }

    /// After `[`: a bracketed class.
    fn bracket(&mut self) -> Result<Node, String> {
        let negated = self.chars.next_if_eq(&'^').is_some();
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.chars.next() else {
                return Err("missing closing ]".into());
            };
            if c == ']' && !first {
                break;
            }
            first = false;
            if c == '[' && self.chars.peek() == Some(&':') {
                let mut lookahead = self.chars.clone();
                lookahead.next();
                let negated_posix = lookahead.next_if_eq(&'^').is_some();
                let mut name = String::new();
                while let Some(letter) = lookahead.next_if(char::is_ascii_lowercase) {
                    name.push(letter);
                }
                if lookahead.next_if_eq(&':').is_some() && lookahead.next_if_eq(&']').is_some() {
                    let Some(class) = posix_class(&name) else {
                        return Err(format!("invalid character class range: `[:{name}:]`"));
                    };
                    self.chars = lookahead;
                    ranges.extend(if negated_posix {
                        complement(class)
                    } else {
                        class.to_vec()
                    });
                    continue;
                }
            }
            let low = if c == '\\' {
                let (escaped, negated_escape) = self.escape()?;
                if escaped.len() != 1 || escaped[0].0 != escaped[0].1 || negated_escape {
                    ranges.extend(if negated_escape {
                        complement(&escaped)
                    } else {
                        escaped
                    });
                    continue;
                }
                escaped[0].0
            } else {
                c
            };
            let mut lookahead = self.chars.clone();
            if lookahead.next_if_eq(&'-').is_some() && !matches!(lookahead.peek(), Some(']') | None)
            {
                self.chars = lookahead;
                let high = match self.chars.next() {
                    Some('\\') => match self.escape()? {
                        (escaped, false) if escaped.len() == 1 && escaped[0].0 == escaped[0].1 => {
                            escaped[0].0
                        }
                        _ => return Err("invalid character class range".into()),
                    },
                    Some(high) => high,
                    None => return Err("missing closing ]".into()),
                };
                if high < low {
                    return Err(format!("invalid character class range: `{low}-{high}`"));
                }
                ranges.push((low, high));
            } else {
                ranges.push((low, low));
            }
        }
        Ok(self.class_of(ranges, negated))
    }
}
