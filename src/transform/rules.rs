//! The engine: compiled statements and drop conditions, run on a span.

use std::sync::Arc;

use super::functions::{call_indexed, converter, editor, getter, Converter, Editor, Getter};
use super::parse::{self, CompareOp, Condition as RawCondition, Key};
use super::path::Target;
use super::value::compare;
use super::{ErrorMode, Outcome, RuleError, RuleFailure};
use crate::model::{Resource, Scope, Span, Value};

/// A compiled condition.
#[derive(Clone, Debug)]
enum Condition {
    Literal(bool),
    Compare(Getter, CompareOp, Getter),
    Converter(Converter, Vec<Key>),
    Not(Box<Condition>),
    And(Vec<Condition>),
    Or(Vec<Condition>),
}

fn compile_condition(raw: &RawCondition) -> Result<Condition, (usize, String)> {
    Ok(match raw {
        RawCondition::Literal(value) => Condition::Literal(*value),
        RawCondition::Compare(left, op, right) => {
            Condition::Compare(getter(left)?, *op, getter(right)?)
        }
        RawCondition::Call(call, keys) => Condition::Converter(converter(call)?, keys.clone()),
        RawCondition::Not(inner) => Condition::Not(Box::new(compile_condition(inner)?)),
        RawCondition::And(terms) => Condition::And(
            terms
                .iter()
                .map(compile_condition)
                .collect::<Result<_, _>>()?,
        ),
        RawCondition::Or(terms) => Condition::Or(
            terms
                .iter()
                .map(compile_condition)
                .collect::<Result<_, _>>()?,
        ),
    })
}

impl Condition {
    fn holds(&self, target: &Target<'_>) -> Result<bool, String> {
        Ok(match self {
            Condition::Literal(value) => *value,
            Condition::Compare(left, op, right) => compare(
                left.fetch(target)?.as_deref(),
                right.fetch(target)?.as_deref(),
                *op,
            ),
            Condition::Converter(converter, keys) => match call_indexed(converter, keys, target)? {
                Some(Value::Bool(value)) => value,
                _ => return Err("a condition's converter must return a bool".into()),
            },
            Condition::Not(inner) => !inner.holds(target)?,
            Condition::And(terms) => {
                for term in terms {
                    if !term.holds(target)? {
                        return Ok(false);
                    }
                }
                true
            }
            Condition::Or(terms) => {
                for term in terms {
                    if term.holds(target)? {
                        return Ok(true);
                    }
                }
                false
            }
        })
    }
}

#[derive(Debug)]
struct Statement {
    text: Arc<str>,
    editor: Editor,
    condition: Option<Condition>,
}

#[derive(Debug)]
struct DropCondition {
    text: Arc<str>,
    condition: Condition,
}

/// The compiled rules: statements run in order on each span, then the drop conditions
/// (a span that meets any is dropped).
#[derive(Debug, Default)]
pub(crate) struct SpanRules {
    statements: Vec<Statement>,
    drops: Vec<DropCondition>,
    error_mode: ErrorMode,
}

impl SpanRules {
    /// Compiles `statements` and `drop_conditions`; the error names the rule and column.
    pub(crate) fn compile(
        statements: &[String],
        drop_conditions: &[String],
        error_mode: ErrorMode,
    ) -> Result<SpanRules, RuleError> {
        let invalid = |rule: &str, (column, message): (usize, String)| RuleError {
            rule: rule.to_owned(),
            column,
            message,
        };
        let mut rules = SpanRules {
            error_mode,
            ..SpanRules::default()
        };
        for text in statements {
            let parsed = parse::statement(text)
                .map_err(|error| invalid(text, (error.column, error.message)))?;
            let editor = editor(&parsed.editor).map_err(|error| invalid(text, error))?;
            let condition = parsed
                .condition
                .as_ref()
                .map(compile_condition)
                .transpose()
                .map_err(|error| invalid(text, error))?;
            rules.statements.push(Statement {
                text: text.as_str().into(),
                editor,
                condition,
            });
        }
        for text in drop_conditions {
            let parsed = parse::condition(text)
                .map_err(|error| invalid(text, (error.column, error.message)))?;
            let condition = compile_condition(&parsed).map_err(|error| invalid(text, error))?;
            rules.drops.push(DropCondition {
                text: text.as_str().into(),
                condition,
            });
        }
        Ok(rules)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.statements.is_empty() && self.drops.is_empty()
    }

    pub(crate) fn error_mode(&self) -> ErrorMode {
        self.error_mode
    }

    /// Runs the statements on `span`, then the drop conditions.
    pub(crate) fn apply(&self, span: &mut Span, resource: &Resource, scope: &Scope) -> Outcome {
        let mut outcome = Outcome::default();
        let mut target = Target {
            span,
            resource,
            scope,
        };
        for statement in &self.statements {
            let result = match &statement.condition {
                Some(condition) => condition.holds(&target).and_then(|holds| {
                    if holds {
                        statement.editor.run(&mut target)
                    } else {
                        Ok(())
                    }
                }),
                None => statement.editor.run(&mut target),
            };
            if let Err(message) = result {
                outcome.failures.push(RuleFailure {
                    rule: Arc::clone(&statement.text),
                    message,
                });
                if self.error_mode == ErrorMode::Propagate {
                    break;
                }
            }
        }
        for drop in &self.drops {
            match drop.condition.holds(&target) {
                Ok(true) => {
                    outcome.dropped = true;
                    break;
                }
                Ok(false) => {}
                // A condition that fails keeps the span, as the filter processor does
                // with error_mode ignore.
                Err(message) => outcome.failures.push(RuleFailure {
                    rule: Arc::clone(&drop.text),
                    message,
                }),
            }
        }
        outcome
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
