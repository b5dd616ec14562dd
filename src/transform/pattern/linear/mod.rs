//! A small regular-expression engine for the browser's module, where the `regex` crate
//! would add hundreds of kilobytes: RE2 syntax read as Go reads it (`parse.rs`), compiled
//! to a program (`compile.rs`) that a Pike VM runs in time linear in the text (`vm.rs`).
//! Natively it is built for its tests only, which check it against the `regex` crate that
//! the Collector differential test checks.

mod compile;
mod parse;
mod vm;

use super::Engine;
use compile::Inst;

#[derive(Clone, Debug)]
pub(crate) struct Regex {
    program: Vec<Inst>,
    /// The groups' names; index 0 is the whole match.
    names: Vec<Option<String>>,
}

impl Engine for Regex {
    fn new(pattern: &str) -> Result<Regex, String> {
        let parsed = parse::parse(pattern)?;
        Ok(Regex {
            program: compile::compile(&parsed.node)?,
            names: parsed.names,
        })
    }

    fn is_match(&self, text: &str) -> bool {
        vm::search(&self.program, text, 0, 2).is_some()
    }

    /// The first match at or after `start`: its bounds.
    fn find_at(&self, text: &str, start: usize) -> Option<(usize, usize)> {
        let slots = vm::search(&self.program, text, start, 2)?;
        Some((slots[0]?, slots[1]?))
    }

    /// The first match at or after `start`: the bounds of the match and of each group.
    fn captures_at(&self, text: &str, start: usize) -> Option<Vec<Option<usize>>> {
        vm::search(&self.program, text, start, 2 * self.names.len())
    }

    fn group_names(&self) -> Vec<Option<String>> {
        self.names.clone()
    }
}

/// Natively, against the `regex` crate.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
