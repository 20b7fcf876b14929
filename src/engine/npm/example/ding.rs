//! What recognises a `ding`: comparisons, regex tests, string searches, lists of words, positions compared with
//! a number, and the polarity of a test (true only when the text is ding, or false only then).

use oxc_ast::ast::{
    Argument, ArrayExpressionElement, BinaryExpression, BinaryOperator, CallExpression, ChainElement, Expression,
    LogicalOperator, UnaryOperator,
};

use super::facts::Facts;
use super::syntax::{inner, member, number_value, string_value};

fn is_ding(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("ding")
}

pub(super) fn mentions(value: &str, word: &str) -> bool {
    value.to_ascii_lowercase().contains(word)
}

/// Whether a string sent is the text `dong`: the whole text, spaces and punctuation around it aside, in any letter
/// case (`dong`, `Dong!`, `dong.`). A text that merely holds the word (`ding dong bell`, `King Kong dong`) answers
/// something else, and a file name, path or URL (`ding-dong.jpg`, `…/dong.png`) is no text: puppet-official-account's
/// example sends a picture named so in a branch.
pub(super) fn is_dong_text(value: &str) -> bool {
    let trimmed =
        value.trim_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation() || "！。？，～".contains(c));
    trimmed.eq_ignore_ascii_case("dong")
}

/// A regex literal, or `new RegExp('…')`, whose pattern mentions `ding`.
fn is_ding_regex(expression: &Expression<'_>) -> bool {
    match inner(expression) {
        Expression::RegExpLiteral(regex) => mentions(regex.regex.pattern.text.as_str(), "ding"),
        Expression::NewExpression(new) => {
            matches!(inner(&new.callee), Expression::Identifier(id) if id.name.as_str() == "RegExp")
                && new
                    .arguments
                    .first()
                    .and_then(Argument::as_expression)
                    .and_then(string_value)
                    .is_some_and(|p| mentions(&p, "ding"))
        }
        _ => false,
    }
}

impl Facts {
    fn is_ding_list(&self, expression: &Expression<'_>) -> bool {
        match inner(expression) {
            Expression::ArrayExpression(array) => {
                array.elements.iter().filter_map(ArrayExpressionElement::as_expression).any(|e| self.is_ding_value(e))
            }
            _ => false,
        }
    }

    /// The strings `expression` may be: a string (or template without expressions), a same-file `const` bound to
    /// such strings, or a ternary whose branches are such.
    fn values(&self, expression: &Expression<'_>) -> Option<Vec<String>> {
        match inner(expression) {
            Expression::Identifier(id) => self.consts.get(id.name.as_str()).cloned(),
            Expression::ConditionalExpression(c) => {
                let mut values = self.values(&c.consequent)?;
                values.extend(self.values(&c.alternate)?);
                Some(values)
            }
            other => string_value(other).map(|s| vec![s]),
        }
    }

    /// What a test always comes to, when it comes to one thing whatever the message (`false`, `0`, `''`, `null`,
    /// `undefined`, `!true`, `void x`, two known values compared — with same-file `const` strings folded in —, and
    /// `&&`/`||` of such); `None` when it depends on what runs.
    pub(super) fn constant(&self, expression: &Expression<'_>) -> Option<bool> {
        match inner(expression) {
            Expression::BooleanLiteral(literal) => Some(literal.value),
            Expression::NullLiteral(_) => Some(false),
            Expression::NumericLiteral(number) => Some(number.value != 0.0 && !number.value.is_nan()),
            Expression::Identifier(id) if id.name.as_str() == "undefined" => Some(false),
            Expression::UnaryExpression(unary) => match unary.operator {
                UnaryOperator::LogicalNot => self.constant(&unary.argument).map(|value| !value),
                UnaryOperator::Void => Some(false),
                _ => None,
            },
            Expression::LogicalExpression(logical) => {
                let (left, right) = (self.constant(&logical.left), self.constant(&logical.right));
                match logical.operator {
                    LogicalOperator::And if left == Some(false) => Some(false),
                    LogicalOperator::And => left.and(right),
                    LogicalOperator::Or if left == Some(true) => Some(true),
                    LogicalOperator::Or => left.and(right),
                    LogicalOperator::Coalesce => None,
                }
            }
            Expression::BinaryExpression(binary) => {
                let equal = match binary.operator {
                    BinaryOperator::StrictEquality | BinaryOperator::Equality => true,
                    BinaryOperator::StrictInequality | BinaryOperator::Inequality => false,
                    _ => return None,
                };
                let same = match (number_value(&binary.left), number_value(&binary.right)) {
                    (Some(left), Some(right)) => left == right,
                    _ => match (self.values(&binary.left)?.as_slice(), self.values(&binary.right)?.as_slice()) {
                        ([left], [right]) => left == right,
                        _ => return None,
                    },
                };
                Some(same == equal)
            }
            other => {
                // A string, or a `const` bound to strings: truthy when not empty, whichever it is.
                let values = self.values(other)?;
                if values.iter().all(|value| !value.is_empty()) {
                    Some(true)
                } else if values.iter().all(String::is_empty) {
                    Some(false)
                } else {
                    None
                }
            }
        }
    }

    /// Whether `expression` is `ding` whichever value it has.
    pub(super) fn is_ding_value(&self, expression: &Expression<'_>) -> bool {
        self.values(expression).is_some_and(|values| !values.is_empty() && values.iter().all(|v| is_ding(v)))
    }

    /// Whether one of the values `expression` may have mentions `word`.
    fn mentions_value(&self, expression: &Expression<'_>, word: &str) -> bool {
        self.values(expression).is_some_and(|values| values.iter().any(|v| mentions(v, word)))
    }

    /// A regex literal, or `new RegExp(…)`, whose pattern mentions `ding`.
    fn is_ding_regex(&self, expression: &Expression<'_>) -> bool {
        match inner(expression) {
            Expression::NewExpression(new) => {
                matches!(inner(&new.callee), Expression::Identifier(id) if id.name.as_str() == "RegExp")
                    && new
                        .arguments
                        .first()
                        .and_then(Argument::as_expression)
                        .is_some_and(|p| self.mentions_value(p, "ding"))
            }
            other => is_ding_regex(other),
        }
    }

    /// The form of a method call that tests a text for `ding` and is true when it finds it (`/ding/.test(t)`,
    /// `t.includes('ding')`…); `indexOf` and `search` return a position, see [`Facts::polarity`].
    pub(super) fn ding_call_form(
        &self,
        object: &Expression<'_>,
        method: &str,
        first: Option<&Expression<'_>>,
    ) -> Option<&'static str> {
        match method {
            "test" | "exec" if self.is_ding_regex(object) => Some("a regex test"),
            "match" | "matchAll" if first.is_some_and(|a| self.is_ding_regex(a) || self.mentions_value(a, "ding")) => {
                Some("a regex match")
            }
            "includes" | "startsWith" | "endsWith" if first.is_some_and(|a| self.mentions_value(a, "ding")) => {
                Some("a string search")
            }
            "includes" if self.is_ding_list(object) => Some("a list of words"),
            _ => None,
        }
    }

    /// `t.indexOf('ding')`, `t.search(/ding/)` or `['ding', …].indexOf(t)`: a position, -1 when not found.
    fn ding_position_form(&self, expression: &Expression<'_>) -> Option<(u32, &'static str)> {
        match inner(expression) {
            Expression::CallExpression(call) => self.ding_position_call(call),
            _ => None,
        }
    }

    pub(super) fn ding_position_call(&self, call: &CallExpression<'_>) -> Option<(u32, &'static str)> {
        let (object, method) = member(&call.callee)?;
        let first = call.arguments.first().and_then(Argument::as_expression);
        let form = match method.as_str() {
            "indexOf" if self.is_ding_list(object) => "a list of words",
            "indexOf" if first.is_some_and(|a| self.mentions_value(a, "ding")) => "a string search",
            "search" if first.is_some_and(|a| self.is_ding_regex(a) || self.mentions_value(a, "ding")) => {
                "a regex match"
            }
            _ => return None,
        };
        Some((call.span.start, form))
    }

    /// Whether `test` recognises `ding`: `Some((true, …))` when it is true only if the text is ding,
    /// `Some((false, …))` when it is false only if the text is ding, with the test's offset and form.
    pub(super) fn polarity(&self, test: &Expression<'_>) -> Option<(bool, u32, &'static str)> {
        match inner(test) {
            Expression::UnaryExpression(unary) if unary.operator == UnaryOperator::LogicalNot => {
                self.polarity(&unary.argument).map(|(positive, offset, form)| (!positive, offset, form))
            }
            Expression::BinaryExpression(binary) => self.comparison_polarity(binary),
            Expression::CallExpression(call) => self.call_polarity(call),
            // `text?.trim().startsWith('ding')`
            Expression::ChainExpression(chain) => match &chain.expression {
                ChainElement::CallExpression(call) => self.call_polarity(call),
                _ => None,
            },
            Expression::LogicalExpression(logical) => {
                let (left, right) = (self.polarity(&logical.left), self.polarity(&logical.right));
                let with =
                    |wanted: bool| [left, right].into_iter().flatten().find(|(positive, ..)| *positive == wanted);
                let both = |wanted: bool| {
                    [left, right]
                        .iter()
                        .all(|p| p.is_some_and(|(positive, ..)| positive == wanted))
                        .then(|| with(wanted))
                        .flatten()
                };
                match logical.operator {
                    // a && b is true only if both are: one positive side is enough.
                    LogicalOperator::And => with(true).or_else(|| both(false)),
                    // a || b is false only if both are: one negative side is enough.
                    LogicalOperator::Or => with(false).or_else(|| both(true)),
                    LogicalOperator::Coalesce => None,
                }
            }
            _ => None,
        }
    }

    fn call_polarity(&self, call: &CallExpression<'_>) -> Option<(bool, u32, &'static str)> {
        let (object, method) = member(&call.callee)?;
        let first = call.arguments.first().and_then(Argument::as_expression);
        self.ding_call_form(object, &method, first).map(|form| (true, call.span.start, form))
    }

    pub(super) fn comparison_polarity(&self, binary: &BinaryExpression<'_>) -> Option<(bool, u32, &'static str)> {
        let offset = binary.span.start;
        let equal = match binary.operator {
            BinaryOperator::StrictEquality | BinaryOperator::Equality => Some(true),
            BinaryOperator::StrictInequality | BinaryOperator::Inequality => Some(false),
            _ => None,
        };
        if let Some(equal) = equal {
            let ding_on = |a: &Expression<'_>, b: &Expression<'_>| self.is_ding_value(a) && self.values(b).is_none();
            if ding_on(&binary.left, &binary.right) || ding_on(&binary.right, &binary.left) {
                return Some((equal, offset, "a comparison"));
            }
        }
        // A position compared with a number: `i !== -1`, `i >= 0`, `i > -1`, `i === 0` (found), `i === -1`,
        // `i < 0` (not found); the position on the left.
        let (_, form) = self.ding_position_form(&binary.left)?;
        let number = number_value(&binary.right)?;
        let found = match binary.operator {
            BinaryOperator::StrictEquality | BinaryOperator::Equality if number >= 0.0 => true,
            BinaryOperator::StrictEquality | BinaryOperator::Equality if number < 0.0 => false,
            BinaryOperator::StrictInequality | BinaryOperator::Inequality if number < 0.0 => true,
            BinaryOperator::GreaterEqualThan if number == 0.0 => true,
            BinaryOperator::GreaterThan if (-1.0..0.0).contains(&number) => true,
            BinaryOperator::LessThan if number <= 0.0 && number > -1.0 => false,
            BinaryOperator::LessEqualThan if (-1.0..0.0).contains(&number) => false,
            _ => return None,
        };
        Some((found, offset, form))
    }
}
