//! The tree compiled to a program for the Pike VM (`vm.rs`): one instruction per character
//! class, assertion and capture boundary, with splits whose first branch is preferred
//! (leftmost-first, as Go's and Perl's matching).

use super::parse::{Class, Look, Node};

#[derive(Clone, Debug)]
pub(super) enum Inst {
    /// Consumes one character of the class.
    Class(Class),
    /// Goes on at both; the first is preferred.
    Split(usize, usize),
    Jump(usize),
    /// Records the position in capture slot `n`.
    Save(usize),
    Look(Look),
    Match,
}

/// Programs longer than this are refused: the VM's time and memory grow with the
/// program, and a pattern may come from a remote configuration.
const MOST_INSTRUCTIONS: usize = 20_000;

/// `node` as a program that saves the match's bounds in slots 0 and 1.
pub(super) fn compile(node: &Node) -> Result<Vec<Inst>, String> {
    let mut compiler = Compiler(Vec::new());
    compiler.emit(Inst::Save(0))?;
    compiler.node(node)?;
    compiler.emit(Inst::Save(1))?;
    compiler.emit(Inst::Match)?;
    Ok(compiler.0)
}

struct Compiler(Vec<Inst>);

/// A branch not known yet, patched once it is.
const OPEN: usize = usize::MAX;

impl Compiler {
    fn emit(&mut self, inst: Inst) -> Result<usize, String> {
        if self.0.len() >= MOST_INSTRUCTIONS {
            return Err("expression too large".into());
        }
        self.0.push(inst);
        Ok(self.0.len() - 1)
    }

    fn next(&self) -> usize {
        self.0.len()
    }

    /// Points the split or jump at `at`, where it is still open, to `to`.
    fn patch(&mut self, at: usize, to: usize) {
        match &mut self.0[at] {
            Inst::Split(first, second) => {
                for target in [first, second] {
                    if *target == OPEN {
                        *target = to;
                    }
                }
            }
            Inst::Jump(target) => *target = to,
            _ => {}
        }
    }

    /// A split at the next instruction between going on and a way out still open,
    /// preferring to go on when `greedy`; returns where it is, to patch.
    fn optional(&mut self, greedy: bool) -> Result<usize, String> {
        let on = self.next() + 1;
        self.emit(if greedy {
            Inst::Split(on, OPEN)
        } else {
            Inst::Split(OPEN, on)
        })
    }

    fn node(&mut self, node: &Node) -> Result<(), String> {
        match node {
            Node::Empty => {}
            Node::Class(class) => {
                self.emit(Inst::Class(class.clone()))?;
            }
            Node::Look(look) => {
                self.emit(Inst::Look(*look))?;
            }
            Node::Group(inner, capture) => {
                if let Some(index) = capture {
                    self.emit(Inst::Save(2 * index))?;
                }
                self.node(inner)?;
                if let Some(index) = capture {
                    self.emit(Inst::Save(2 * index + 1))?;
                }
            }
            Node::Concat(nodes) => {
                for node in nodes {
                    self.node(node)?;
                }
            }
            Node::Alternate(branches) => {
                let mut jumps = Vec::new();
                for (index, branch) in branches.iter().enumerate() {
                    if index + 1 == branches.len() {
                        self.node(branch)?;
                    } else {
                        let split = self.next();
                        self.emit(Inst::Split(split + 1, OPEN))?;
                        self.node(branch)?;
                        jumps.push(self.emit(Inst::Jump(OPEN))?);
                        let next = self.next();
                        self.patch(split, next);
                    }
                }
                let end = self.next();
                for jump in jumps {
                    self.patch(jump, end);
                }
            }
            Node::Repeat {
                node,
                min,
                max,
                greedy,
            } => {
                match max {
                    None if *min == 0 => {
                        // As Go compiles `x*` (golang.org/issue/46123): when `x` can match
                        // empty text, `(x+)?`, so an empty pass does not outrank leaving.
                        if nullable(node) {
                            let split = self.optional(*greedy)?;
                            self.plus(node, *greedy)?;
                            let out = self.next();
                            self.patch(split, out);
                        } else {
                            let split = self.optional(*greedy)?;
                            self.node(node)?;
                            self.emit(Inst::Jump(split))?;
                            let out = self.next();
                            self.patch(split, out);
                        }
                    }
                    None => {
                        for _ in 1..*min {
                            self.node(node)?;
                        }
                        self.plus(node, *greedy)?;
                    }
                    Some(max) => {
                        for _ in 0..*min {
                            self.node(node)?;
                        }
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.optional(*greedy)?);
                            self.node(node)?;
                        }
                        let out = self.next();
                        for split in splits {
                            self.patch(split, out);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// `node` once, then again as long as it matches (preferring more when `greedy`).
    fn plus(&mut self, node: &Node, greedy: bool) -> Result<(), String> {
        let body = self.next();
        self.node(node)?;
        let again = self.next();
        self.emit(if greedy {
            Inst::Split(body, again + 1)
        } else {
            Inst::Split(again + 1, body)
        })?;
        Ok(())
    }
}

/// Whether `node` can match empty text.
fn nullable(node: &Node) -> bool {
    match node {
        Node::Empty | Node::Look(_) => true,
        Node::Class(_) => false,
        Node::Group(inner, _) => nullable(inner),
        Node::Concat(nodes) => nodes.iter().all(nullable),
        Node::Alternate(branches) => branches.iter().any(nullable),
        Node::Repeat { node, min, .. } => *min == 0 || nullable(node),
    }
}
