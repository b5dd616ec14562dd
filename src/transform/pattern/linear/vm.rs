//! The Pike VM: every thread of the program advances over the text together, one
//! character at a time, and two threads at the same instruction are one — so a search
//! costs at most the text's length times the program's, whatever the pattern (no
//! backtracking, no ReDoS). Threads are kept in priority order and a match cuts the
//! threads after it, which gives the leftmost-first match Go's `regexp` gives.

use super::compile::Inst;
use super::parse::{Class, Look};
use crate::platform;

/// The capture slots of the first match at or after `start` (`slots` of them, at least
/// the match's two bounds), or `None`. Assertions see the whole text.
pub(super) fn search(
    program: &[Inst],
    text: &str,
    start: usize,
    slots: usize,
) -> Option<Vec<Option<usize>>> {
    let mut current = Threads::new(program.len(), slots);
    let mut next = Threads::new(program.len(), slots);
    let mut captures = vec![None; slots];
    let mut stack = Vec::new();
    let mut matched = None;
    let mut at = start;
    loop {
        if matched.is_none() {
            captures.fill(None);
            current.add(program, text, at, 0, &mut captures, &mut stack);
        }
        let character = text[at..].chars().next();
        for index in 0..current.pcs.len() {
            let pc = current.pcs[index];
            match &program[pc] {
                Inst::Class(class) => {
                    if let Some(c) = character.filter(|&c| class.matches(c)) {
                        captures.copy_from_slice(current.captures(index));
                        next.add(
                            program,
                            text,
                            at + c.len_utf8(),
                            pc + 1,
                            &mut captures,
                            &mut stack,
                        );
                    }
                }
                Inst::Match => {
                    matched = Some(current.captures(index).to_vec());
                    break;
                }
                _ => {}
            }
        }
        std::mem::swap(&mut current, &mut next);
        next.clear();
        match character {
            Some(c) if !(matched.is_some() && current.pcs.is_empty()) => at += c.len_utf8(),
            _ => return matched,
        }
    }
}

/// The threads at one position: a sparse set of instructions in priority order, with the
/// captures of those that wait on a character or a match.
struct Threads {
    pcs: Vec<usize>,
    index_of: Vec<usize>,
    slots: usize,
    captures: Vec<Option<usize>>,
}

enum Step {
    Explore(usize),
    Restore(usize, Option<usize>),
}

impl Threads {
    fn new(instructions: usize, slots: usize) -> Threads {
        Threads {
            pcs: Vec::with_capacity(instructions),
            index_of: vec![0; instructions],
            slots,
            captures: vec![None; instructions * slots],
        }
    }

    fn contains(&self, pc: usize) -> bool {
        let index = self.index_of[pc];
        index < self.pcs.len() && self.pcs[index] == pc
    }

    fn clear(&mut self) {
        self.pcs.clear();
    }

    fn captures(&self, index: usize) -> &[Option<usize>] {
        &self.captures[index * self.slots..(index + 1) * self.slots]
    }

    /// Follows `pc`'s splits, jumps, saves and assertions at `at`, adding each
    /// instruction reached once, in priority order (a stack, not recursion: programs may
    /// be long).
    fn add(
        &mut self,
        program: &[Inst],
        text: &str,
        at: usize,
        pc: usize,
        captures: &mut [Option<usize>],
        stack: &mut Vec<Step>,
    ) {
        stack.push(Step::Explore(pc));
        while let Some(step) = stack.pop() {
            let pc = match step {
                Step::Explore(pc) => pc,
                Step::Restore(slot, value) => {
                    captures[slot] = value;
                    continue;
                }
            };
            if self.contains(pc) {
                continue;
            }
            let index = self.pcs.len();
            self.index_of[pc] = index;
            self.pcs.push(pc);
            match &program[pc] {
                Inst::Jump(to) => stack.push(Step::Explore(*to)),
                Inst::Split(first, second) => {
                    stack.push(Step::Explore(*second));
                    stack.push(Step::Explore(*first));
                }
                Inst::Save(slot) => {
                    if *slot < self.slots {
                        stack.push(Step::Restore(*slot, captures[*slot]));
                        captures[*slot] = Some(at);
                    }
                    stack.push(Step::Explore(pc + 1));
                }
                Inst::Look(look) => {
                    if look.holds(text, at) {
                        stack.push(Step::Explore(pc + 1));
                    }
                }
                Inst::Class(_) | Inst::Match => self.captures
                    [index * self.slots..(index + 1) * self.slots]
                    .copy_from_slice(captures),
            }
        }
    }
}

impl Class {
    pub(super) fn matches(&self, c: char) -> bool {
        let contains = |c: char| self.ranges.iter().any(|&(low, high)| low <= c && c <= high);
        let found =
            contains(c) || (self.fold && other_cases(c).into_iter().flatten().any(contains));
        found != self.negated
    }
}

/// `c`'s other cases, where each is one character (the platform's mapping beyond ASCII).
fn other_cases(c: char) -> [Option<char>; 2] {
    if c.is_ascii() {
        return [Some(c.to_ascii_lowercase()), Some(c.to_ascii_uppercase())];
    }
    let single = |cases: String| {
        let mut chars = cases.chars();
        match (chars.next(), chars.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    };
    let text = c.to_string();
    [
        single(platform::to_lowercase(&text)),
        single(platform::to_uppercase(&text)),
    ]
}

/// Go's `\b`: ASCII word characters.
fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Look {
    fn holds(self, text: &str, at: usize) -> bool {
        let before = text[..at].chars().next_back();
        let after = text[at..].chars().next();
        match self {
            Look::TextStart => at == 0,
            Look::TextEnd => at == text.len(),
            Look::LineStart => before.is_none() || before == Some('\n'),
            Look::LineEnd => after.is_none() || after == Some('\n'),
            Look::WordBoundary => is_word(before) != is_word(after),
            Look::NotWordBoundary => is_word(before) == is_word(after),
        }
    }
}
