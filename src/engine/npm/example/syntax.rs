//! Small readers of oxc expressions: through parentheses and casts, string values, member callees, required
//! modules, argument ranges, numbers.

use oxc_ast::ast::{Argument, Expression, UnaryOperator};
use oxc_span::{GetSpan, Span};

pub(super) fn inner<'b, 'a>(expression: &'b Expression<'a>) -> &'b Expression<'a> {
    expression.get_inner_expression()
}

/// A string literal or a template literal without expressions.
pub(super) fn string_value(expression: &Expression<'_>) -> Option<String> {
    match inner(expression) {
        Expression::StringLiteral(literal) => Some(literal.value.as_str().to_string()),
        Expression::TemplateLiteral(template) if template.expressions.is_empty() => {
            template.quasis.iter().map(|quasi| quasi.value.cooked.map(|c| c.as_str().to_string())).collect()
        }
        _ => None,
    }
}

/// The object and the method name of a member callee (`a.b`, `a['b']`).
pub(super) fn member<'b, 'a>(callee: &'b Expression<'a>) -> Option<(&'b Expression<'a>, String)> {
    match inner(callee) {
        Expression::StaticMemberExpression(m) => Some((&m.object, m.property.name.as_str().to_string())),
        Expression::ComputedMemberExpression(m) => string_value(&m.expression).map(|name| (&m.object, name)),
        _ => None,
    }
}

/// The module named by `require('m')` or `import('m')` (possibly awaited).
pub(super) fn required_module(expression: &Expression<'_>) -> Option<String> {
    match inner(expression) {
        Expression::AwaitExpression(awaited) => required_module(&awaited.argument),
        Expression::CallExpression(call) => match inner(&call.callee) {
            Expression::Identifier(id) if id.name.as_str() == "require" => {
                call.arguments.first().and_then(Argument::as_expression).and_then(string_value)
            }
            _ => None,
        },
        Expression::ImportExpression(import) => string_value(&import.source),
        _ => None,
    }
}

pub(super) fn argument_range(call_span: Span, arguments: &[Argument<'_>]) -> (u32, u32) {
    match (arguments.first(), arguments.last()) {
        (Some(first), Some(last)) => (first.span().start, last.span().end),
        _ => (call_span.end, call_span.end),
    }
}

/// A number literal, or a negated one.
pub(super) fn number_value(expression: &Expression<'_>) -> Option<f64> {
    match inner(expression) {
        Expression::NumericLiteral(n) => Some(n.value),
        Expression::UnaryExpression(unary) if unary.operator == UnaryOperator::UnaryNegation => {
            number_value(&unary.argument).map(|n| -n)
        }
        _ => None,
    }
}
