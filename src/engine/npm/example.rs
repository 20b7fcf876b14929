//! The ding-dong example, judged on its syntax tree (oxc), not on its text.
//!
//! One pass over the tree collects the facts (imports, bindings, `new` expressions, message handlers, named
//! functions, `ding` tests, `messageSend…` and `say` calls, string literals that mention `dong`); the verdict is
//! then drawn from those facts by offset ranges: "inside a message handler" means inside the function passed to
//! `.on('message', …)`, or inside a function of this file that such a handler calls (transitively).

use std::collections::{HashMap, HashSet};

use oxc_allocator::Allocator;
use oxc_allocator::Vec as ArenaVec;
use oxc_ast::ast::{
    Argument, ArrayExpressionElement, AssignmentExpression, AssignmentTarget, BinaryExpression, BinaryOperator,
    BindingPattern, CallExpression, ChainElement, ConditionalExpression, ExportAllDeclaration, ExportFromDeclaration,
    Expression, Function, IdentifierReference, IfStatement, ImportDeclaration, ImportDeclarationSpecifier,
    ImportExpression, LogicalExpression, LogicalOperator, MethodDefinition, NewExpression, PropertyDefinition,
    Statement, StringLiteral, SwitchStatement, TSImportEqualsDeclaration, TSModuleReference, TemplateLiteral,
    UnaryOperator, VariableDeclaration, VariableDeclarationKind, VariableDeclarator,
};
use oxc_ast_visit::{Visit, walk};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType, Span};
use oxc_syntax::scope::ScopeFlags;

use super::location::LineIndex;
use super::{Finding, Judgement};

/// The methods of the puppet API that send a message (wechaty-puppet's `messageSend…` family).
const SEND_METHODS: [&str; 7] = [
    "messageSendText",
    "messageSendFile",
    "messageSendContact",
    "messageSendUrl",
    "messageSendMiniProgram",
    "messageSendLocation",
    "messageSendPost",
];

/// The methods of an event emitter that register a listener.
const LISTEN_METHODS: [&str; 5] = ["on", "once", "addListener", "prependListener", "prependOnceListener"];

/// Judges the example's source `text`; `file` is its path relative to the package (for locations) and
/// `own_name` the package's `name` from package.json, if known.
pub(crate) fn judge(file: &str, text: &str, own_name: Option<&str>) -> Judgement {
    // A byte order mark is not part of the code, and columns do not count it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let index = LineIndex::new(file, text);
    if let Some(offset) = too_deep(text, MAX_NESTING) {
        return Judgement::Fail {
            findings: vec![Finding::at(
                index.locate(offset),
                format!(
                    "brackets nest more than {MAX_NESTING} levels deep here; the file is not parsed (a ding-dong \
                     example never needs that)"
                ),
            )],
        };
    }
    let allocator = Allocator::default();
    let source_type = SourceType::from_path(file).unwrap_or_else(|_| SourceType::ts());
    let parsed = Parser::new(&allocator, text, source_type).parse();
    if let Some(error) = parsed.diagnostics.errors().next() {
        let offset = error.labels.iter().map(|label| label.offset()).next().unwrap_or(0);
        return Judgement::Fail {
            findings: vec![Finding::at(index.locate(offset as usize), format!("does not parse: {}", error.message))],
        };
    }
    if parsed.panicked {
        return Judgement::Fail { findings: vec![Finding::at(index.locate(0), "does not parse".to_string())] };
    }
    let mut consts = Consts::default();
    consts.visit_program(&parsed.program);
    let mut facts = Facts { consts: consts.resolve(), ..Facts::default() };
    facts.visit_program(&parsed.program);
    facts.verdict(file, text, &index, own_name)
}

/// The deepest bracket nesting parsed: oxc's parser is recursive descent, so its stack grows with nesting.
pub(crate) const MAX_NESTING: usize = 20_000;

/// Where a raw count of brackets (`(`, `[`, `{` and, separately, `<`) first passes `limit`, if it does.
///
/// The count includes brackets in strings and comments, and never goes below zero: dense nesting is always caught,
/// while nesting hidden by closing brackets in strings (`(')'(')'…`) costs at least four bytes a level, which the
/// size limit and the parser thread's stack absorb.
pub(crate) fn too_deep(text: &str, limit: usize) -> Option<usize> {
    let (mut brackets, mut angles) = (0usize, 0usize);
    for (offset, byte) in text.bytes().enumerate() {
        match byte {
            b'(' | b'[' | b'{' => brackets += 1,
            b')' | b']' | b'}' => brackets = brackets.saturating_sub(1),
            b'<' => angles += 1,
            b'>' => angles = angles.saturating_sub(1),
            _ => continue,
        }
        if brackets > limit || angles > limit {
            return Some(offset);
        }
    }
    None
}

/// How a module is brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Import,
    SideEffectImport,
    DynamicImport,
    Require,
    ReExport,
}

impl How {
    /// The verb before the module's name, and what follows it.
    fn describe(self) -> (&'static str, &'static str) {
        match self {
            How::Import => ("imports", ""),
            How::SideEffectImport => ("imports", " for its side effects"),
            How::DynamicImport => ("imports", " dynamically (`import(…)`)"),
            How::Require => ("requires", ""),
            How::ReExport => ("re-exports from", ""),
        }
    }
}

struct ModuleUse {
    module: String,
    offset: u32,
    how: How,
    type_only: bool,
}

/// A call of a method with its argument range (from the first argument's start to the last one's end), and
/// what guards it where it is written.
struct MethodCall {
    method: String,
    offset: u32,
    arguments: (u32, u32),
    guard: Guard,
}

/// What decides whether a piece of code runs, as far as `ding` goes: the code is in the branch taken when the text
/// is `ding` (`Ding`), in the branch taken when it is not (`NotDing`), or neither. Each carries the test's offset
/// and form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    None,
    Ding(u32, &'static str),
    NotDing(u32, &'static str),
}

impl Guard {
    /// A guard for the branch where the test (of `polarity`: true when the text is ding) came out `taken`.
    fn branch(polarity: Option<(bool, u32, &'static str)>, taken: bool) -> Guard {
        match polarity {
            Some((positive, offset, form)) if positive == taken => Guard::Ding(offset, form),
            Some((_, offset, form)) => Guard::NotDing(offset, form),
            None => Guard::None,
        }
    }

    fn is_ding(self) -> bool {
        matches!(self, Guard::Ding(..))
    }
}

enum Listener {
    /// A function written in place: its span.
    Inline(Span),
    /// A function referred to by name (`onMessage`, `this.onMessage`, `onMessage.bind(this)`).
    Named(String),
    /// Something else (cannot be followed).
    Opaque,
}

#[derive(Default)]
struct Facts {
    modules: Vec<ModuleUse>,
    /// Local name → the module it comes from.
    bindings: HashMap<String, String>,
    /// `new` expressions: the callee's span, its binding (the identifier or the member's object) and the offset.
    news: Vec<(u32, Span, String)>,
    listeners: Vec<(u32, Listener)>,
    /// Named functions, const arrow functions and class methods of the file: name → span.
    functions: HashMap<String, Span>,
    /// Calls of a plain name or of `this.name`: (name, offset, guard).
    named_calls: Vec<(String, u32, Guard)>,
    /// `ding` tests: (offset, form).
    ding_tests: Vec<(u32, &'static str)>,
    sends: Vec<MethodCall>,
    says: Vec<MethodCall>,
    /// Offsets of string literals and template parts that mention `dong`, with their guards (sorted before use).
    dong_literals: Vec<(u32, Guard)>,
    /// Same-file `const` names bound to strings (see [`Consts`]): name → the values it may have.
    consts: HashMap<String, Vec<String>>,
    /// The guards around the code being visited, innermost last.
    guards: Vec<Guard>,
    /// Identifier references: (offset, name), in source order.
    identifiers: Vec<(u32, String)>,
    /// What each variable is bound or assigned to (not functions): name → the value expressions' ranges.
    variables: HashMap<String, Vec<(u32, u32)>>,
}

fn inner<'b, 'a>(expression: &'b Expression<'a>) -> &'b Expression<'a> {
    expression.get_inner_expression()
}

/// A string literal or a template literal without expressions.
fn string_value(expression: &Expression<'_>) -> Option<String> {
    match inner(expression) {
        Expression::StringLiteral(literal) => Some(literal.value.as_str().to_string()),
        Expression::TemplateLiteral(template) if template.expressions.is_empty() => {
            template.quasis.iter().map(|quasi| quasi.value.cooked.map(|c| c.as_str().to_string())).collect()
        }
        _ => None,
    }
}

fn is_ding(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("ding")
}

fn mentions(value: &str, word: &str) -> bool {
    value.to_ascii_lowercase().contains(word)
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

/// The object and the method name of a member callee (`a.b`, `a['b']`).
fn member<'b, 'a>(callee: &'b Expression<'a>) -> Option<(&'b Expression<'a>, String)> {
    match inner(callee) {
        Expression::StaticMemberExpression(m) => Some((&m.object, m.property.name.as_str().to_string())),
        Expression::ComputedMemberExpression(m) => string_value(&m.expression).map(|name| (&m.object, name)),
        _ => None,
    }
}

/// The module named by `require('m')` or `import('m')` (possibly awaited).
fn required_module(expression: &Expression<'_>) -> Option<String> {
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

fn argument_range(call_span: Span, arguments: &[Argument<'_>]) -> (u32, u32) {
    match (arguments.first(), arguments.last()) {
        (Some(first), Some(last)) => (first.span().start, last.span().end),
        _ => (call_span.end, call_span.end),
    }
}

impl Facts {
    fn bind_pattern(&mut self, pattern: &BindingPattern<'_>, module: &str) {
        match pattern {
            BindingPattern::BindingIdentifier(id) => {
                self.bindings.insert(id.name.as_str().to_string(), module.to_string());
            }
            BindingPattern::ObjectPattern(object) => {
                for property in &object.properties {
                    if let BindingPattern::BindingIdentifier(id) = &property.value {
                        self.bindings.insert(id.name.as_str().to_string(), module.to_string());
                    }
                }
            }
            _ => {}
        }
    }

    fn listener(&self, expression: &Expression<'_>) -> Listener {
        match inner(expression) {
            Expression::ArrowFunctionExpression(arrow) => Listener::Inline(arrow.span),
            Expression::FunctionExpression(function) => Listener::Inline(function.span),
            Expression::Identifier(id) => Listener::Named(id.name.as_str().to_string()),
            Expression::StaticMemberExpression(m) if matches!(inner(&m.object), Expression::ThisExpression(_)) => {
                Listener::Named(m.property.name.as_str().to_string())
            }
            Expression::CallExpression(call) => match member(&call.callee) {
                Some((object, method)) if method == "bind" => self.listener(object),
                _ => Listener::Opaque,
            },
            _ => Listener::Opaque,
        }
    }

    fn note_member_call(&mut self, call: &CallExpression<'_>, object: &Expression<'_>, method: &str) {
        let first = call.arguments.first().and_then(Argument::as_expression);
        let offset = call.span.start;
        if LISTEN_METHODS.contains(&method)
            && first.and_then(string_value).is_some_and(|event| event == "message")
            && let Some(handler) = call.arguments.get(1).and_then(Argument::as_expression)
        {
            let listener = self.listener(handler);
            self.listeners.push((offset, listener));
        }
        let arguments = argument_range(call.span, &call.arguments);
        let guard = self.guard_now();
        if SEND_METHODS.contains(&method) {
            self.sends.push(MethodCall { method: method.to_string(), offset, arguments, guard });
        }
        if method == "say" {
            self.says.push(MethodCall { method: method.to_string(), offset, arguments, guard });
        }
        let form =
            self.ding_call_form(object, method, first).or_else(|| self.ding_position_call(call).map(|(_, form)| form));
        if let Some(form) = form {
            self.ding_tests.push((offset, form));
        }
        if matches!(inner(object), Expression::ThisExpression(_)) {
            self.named_calls.push((method.to_string(), offset, guard));
        }
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

    /// Whether `expression` is `ding` whichever value it has.
    fn is_ding_value(&self, expression: &Expression<'_>) -> bool {
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
    fn ding_call_form(
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

    fn ding_position_call(&self, call: &CallExpression<'_>) -> Option<(u32, &'static str)> {
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
    fn polarity(&self, test: &Expression<'_>) -> Option<(bool, u32, &'static str)> {
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

    fn comparison_polarity(&self, binary: &BinaryExpression<'_>) -> Option<(bool, u32, &'static str)> {
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

    /// The current guard: the innermost `ding` branch if there is one, else the innermost not-`ding` branch.
    fn guard_now(&self) -> Guard {
        let innermost =
            |ding: bool| self.guards.iter().rev().copied().find(|g| g.is_ding() == ding && *g != Guard::None);
        innermost(true).or_else(|| innermost(false)).unwrap_or(Guard::None)
    }

    fn guarded<R>(&mut self, guard: Guard, visit: impl FnOnce(&mut Self) -> R) -> R {
        self.guards.push(guard);
        let result = visit(self);
        self.guards.pop();
        result
    }
}

/// A number literal, or a negated one.
fn number_value(expression: &Expression<'_>) -> Option<f64> {
    match inner(expression) {
        Expression::NumericLiteral(n) => Some(n.value),
        Expression::UnaryExpression(unary) if unary.operator == UnaryOperator::UnaryNegation => {
            number_value(&unary.argument).map(|n| -n)
        }
        _ => None,
    }
}

/// Whether a statement always leaves the code that follows it (`return`, `throw`, `continue`, `break`, or a block
/// or `if` whose every way ends so).
fn exits(statement: &Statement<'_>) -> bool {
    match statement {
        Statement::ReturnStatement(_)
        | Statement::ThrowStatement(_)
        | Statement::ContinueStatement(_)
        | Statement::BreakStatement(_) => true,
        Statement::BlockStatement(block) => block.body.last().is_some_and(exits),
        Statement::IfStatement(it) => exits(&it.consequent) && it.alternate.as_ref().is_some_and(exits),
        _ => false,
    }
}

/// Same-file `const` bindings to strings, templates without expressions, ternaries of such, or other such consts,
/// collected before the facts: a name is resolved only if every `const` of that name is (names are not scoped).
#[derive(Default)]
struct Consts {
    raw: HashMap<String, Vec<Option<Simple>>>,
}

enum Simple {
    Text(String),
    Name(String),
    Choice(Box<Simple>, Box<Simple>),
}

impl Simple {
    fn of(expression: &Expression<'_>) -> Option<Simple> {
        match inner(expression) {
            Expression::Identifier(id) => Some(Simple::Name(id.name.as_str().to_string())),
            Expression::ConditionalExpression(c) => {
                Some(Simple::Choice(Box::new(Simple::of(&c.consequent)?), Box::new(Simple::of(&c.alternate)?)))
            }
            other => string_value(other).map(Simple::Text),
        }
    }
}

/// How many consts deep a name is followed (`const A = B`, `const B = 'ding'`).
const CONST_DEPTH: usize = 16;

impl Consts {
    fn resolve(&self) -> HashMap<String, Vec<String>> {
        self.raw.keys().filter_map(|name| Some((name.clone(), self.values_of(name, 0)?))).collect()
    }

    fn values_of(&self, name: &str, depth: usize) -> Option<Vec<String>> {
        if depth > CONST_DEPTH {
            return None;
        }
        let mut values = Vec::new();
        for simple in self.raw.get(name)? {
            self.collect(simple.as_ref()?, depth, &mut values)?;
        }
        Some(values)
    }

    fn collect(&self, simple: &Simple, depth: usize, values: &mut Vec<String>) -> Option<()> {
        match simple {
            Simple::Text(text) => values.push(text.clone()),
            Simple::Name(name) => values.extend(self.values_of(name, depth + 1)?),
            Simple::Choice(a, b) => {
                self.collect(a, depth, values)?;
                self.collect(b, depth, values)?;
            }
        }
        Some(())
    }
}

impl<'a> Visit<'a> for Consts {
    fn visit_variable_declaration(&mut self, it: &VariableDeclaration<'a>) {
        if it.kind == VariableDeclarationKind::Const {
            for declarator in &it.declarations {
                if let (BindingPattern::BindingIdentifier(id), Some(init)) = (&declarator.id, &declarator.init) {
                    self.raw.entry(id.name.as_str().to_string()).or_default().push(Simple::of(init));
                }
            }
        }
        walk::walk_variable_declaration(self, it);
    }
}

impl<'a> Visit<'a> for Facts {
    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        let module = it.source.value.as_str().to_string();
        let type_only = it.import_kind.is_type()
            || it.specifiers.as_ref().is_some_and(|specifiers| {
                !specifiers.is_empty()
                    && specifiers
                        .iter()
                        .all(|s| matches!(s, ImportDeclarationSpecifier::ImportSpecifier(s) if s.import_kind.is_type()))
            });
        let how = if it.specifiers.is_none() { How::SideEffectImport } else { How::Import };
        self.modules.push(ModuleUse { module: module.clone(), offset: it.span.start, how, type_only });
        if !it.import_kind.is_type() {
            for specifier in it.specifiers.iter().flatten() {
                let local = match specifier {
                    ImportDeclarationSpecifier::ImportSpecifier(s) if s.import_kind.is_type() => continue,
                    ImportDeclarationSpecifier::ImportSpecifier(s) => &s.local,
                    ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => &s.local,
                    ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => &s.local,
                };
                self.bindings.insert(local.name.as_str().to_string(), module.clone());
            }
        }
        walk::walk_import_declaration(self, it);
    }

    fn visit_export_from_declaration(&mut self, it: &ExportFromDeclaration<'a>) {
        let type_only = it.export_kind.is_type()
            || (!it.specifiers.is_empty() && it.specifiers.iter().all(|s| s.export_kind.is_type()));
        let module = it.source.value.as_str().to_string();
        self.modules.push(ModuleUse { module, offset: it.span.start, how: How::ReExport, type_only });
        walk::walk_export_from_declaration(self, it);
    }

    fn visit_export_all_declaration(&mut self, it: &ExportAllDeclaration<'a>) {
        let module = it.source.value.as_str().to_string();
        let type_only = it.export_kind.is_type();
        self.modules.push(ModuleUse { module, offset: it.span.start, how: How::ReExport, type_only });
        walk::walk_export_all_declaration(self, it);
    }

    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        if let Some(module) = string_value(&it.source) {
            self.modules.push(ModuleUse { module, offset: it.span.start, how: How::DynamicImport, type_only: false });
        }
        walk::walk_import_expression(self, it);
    }

    fn visit_ts_import_equals_declaration(&mut self, it: &TSImportEqualsDeclaration<'a>) {
        if let TSModuleReference::ExternalModuleReference(reference) = &it.module_reference {
            let module = reference.expression.value.as_str().to_string();
            let type_only = it.import_kind.is_type();
            self.modules.push(ModuleUse {
                module: module.clone(),
                offset: it.span.start,
                how: How::Require,
                type_only,
            });
            if !type_only {
                self.bindings.insert(it.id.name.as_str().to_string(), module);
            }
        }
        walk::walk_ts_import_equals_declaration(self, it);
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let Some(init) = &it.init {
            match inner(init) {
                Expression::ArrowFunctionExpression(arrow) => {
                    if let BindingPattern::BindingIdentifier(id) = &it.id {
                        self.functions.insert(id.name.as_str().to_string(), arrow.span);
                    }
                }
                Expression::FunctionExpression(function) => {
                    if let BindingPattern::BindingIdentifier(id) = &it.id {
                        self.functions.insert(id.name.as_str().to_string(), function.span);
                    }
                }
                Expression::StaticMemberExpression(m) => {
                    // const PuppetX = require('m').PuppetX
                    if let (Some(module), BindingPattern::BindingIdentifier(id)) = (required_module(&m.object), &it.id)
                    {
                        self.bindings.insert(id.name.as_str().to_string(), module);
                    }
                }
                other => {
                    if let Some(module) = required_module(other) {
                        self.bind_pattern(&it.id, &module);
                    }
                }
            }
            if let BindingPattern::BindingIdentifier(id) = &it.id
                && !matches!(inner(init), Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_))
            {
                let value = inner(init).span();
                self.variables.entry(id.name.as_str().to_string()).or_default().push((value.start, value.end));
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        if let Some(id) = &it.id {
            self.functions.insert(id.name.as_str().to_string(), it.span);
        }
        walk::walk_function(self, it, flags);
    }

    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        if let Some(name) = it.key.static_name() {
            self.functions.entry(name.to_string()).or_insert(it.value.span);
        }
        walk::walk_method_definition(self, it);
    }

    fn visit_property_definition(&mut self, it: &PropertyDefinition<'a>) {
        if let (Some(name), Some(value)) = (it.key.static_name(), &it.value)
            && matches!(inner(value), Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_))
        {
            self.functions.entry(name.to_string()).or_insert(inner(value).span());
        }
        walk::walk_property_definition(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        match inner(&it.callee) {
            Expression::Identifier(id) if id.name.as_str() == "require" => {
                if let Some(module) = it.arguments.first().and_then(Argument::as_expression).and_then(string_value) {
                    self.modules.push(ModuleUse { module, offset: it.span.start, how: How::Require, type_only: false });
                }
            }
            Expression::Identifier(id) => {
                let guard = self.guard_now();
                self.named_calls.push((id.name.as_str().to_string(), it.span.start, guard));
            }
            _ => {
                if let Some((object, method)) = member(&it.callee) {
                    self.note_member_call(it, object, &method);
                }
            }
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_new_expression(&mut self, it: &NewExpression<'a>) {
        let binding = match inner(&it.callee) {
            Expression::Identifier(id) => Some(id.name.as_str().to_string()),
            Expression::StaticMemberExpression(m) => match inner(&m.object) {
                Expression::Identifier(id) => Some(id.name.as_str().to_string()),
                _ => None,
            },
            _ => None,
        };
        if let Some(binding) = binding {
            self.news.push((it.span.start, it.callee.span(), binding));
        }
        walk::walk_new_expression(self, it);
    }

    fn visit_binary_expression(&mut self, it: &BinaryExpression<'a>) {
        if let Some((_, offset, "a comparison")) = self.comparison_polarity(it) {
            self.ding_tests.push((offset, "a comparison"));
        }
        walk::walk_binary_expression(self, it);
    }

    /// A `case 'ding':` (and the cases it falls through to without a statement between) is the ding branch;
    /// `default:` is the not-ding branch of a switch that has one.
    fn visit_switch_statement(&mut self, it: &SwitchStatement<'a>) {
        self.visit_expression(&it.discriminant);
        let ding_cases: Vec<bool> =
            it.cases.iter().map(|case| case.test.as_ref().is_some_and(|t| self.is_ding_value(t))).collect();
        let first_ding = it.cases.iter().zip(&ding_cases).find(|(_, ding)| **ding).map(|(case, _)| case.span.start);
        let mut falling: Option<u32> = None;
        for (case, ding) in it.cases.iter().zip(ding_cases) {
            if ding {
                self.ding_tests.push((case.span.start, "a switch case"));
                falling.get_or_insert(case.span.start);
            }
            let guard = match (falling, first_ding) {
                (Some(offset), _) => Guard::Ding(offset, "a switch case"),
                (None, Some(offset)) if case.test.is_none() => Guard::NotDing(offset, "a switch case"),
                _ => Guard::None,
            };
            if let Some(test) = &case.test {
                self.visit_expression(test);
            }
            self.guarded(guard, |facts| facts.visit_statements(&case.consequent));
            if !case.consequent.is_empty() {
                falling = None;
            }
        }
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        self.visit_expression(&it.test);
        let polarity = self.polarity(&it.test);
        self.guarded(Guard::branch(polarity, true), |facts| facts.visit_statement(&it.consequent));
        if let Some(alternate) = &it.alternate {
            self.guarded(Guard::branch(polarity, false), |facts| facts.visit_statement(alternate));
        }
    }

    fn visit_conditional_expression(&mut self, it: &ConditionalExpression<'a>) {
        self.visit_expression(&it.test);
        let polarity = self.polarity(&it.test);
        self.guarded(Guard::branch(polarity, true), |facts| facts.visit_expression(&it.consequent));
        self.guarded(Guard::branch(polarity, false), |facts| facts.visit_expression(&it.alternate));
    }

    /// `t === 'ding' && send(…)` runs the right side only when the left is true; `||` only when it is false.
    fn visit_logical_expression(&mut self, it: &LogicalExpression<'a>) {
        self.visit_expression(&it.left);
        let guard = match it.operator {
            LogicalOperator::And => Guard::branch(self.polarity(&it.left), true),
            LogicalOperator::Or => Guard::branch(self.polarity(&it.left), false),
            LogicalOperator::Coalesce => Guard::None,
        };
        self.guarded(guard, |facts| facts.visit_expression(&it.right));
    }

    /// After `if (<not ding>) return` (or `throw`, `continue`, `break`), the rest of the block is the ding branch;
    /// after `if (<ding>) { …; return }`, the not-ding branch.
    fn visit_statements(&mut self, it: &ArenaVec<'a, Statement<'a>>) {
        let depth = self.guards.len();
        for statement in it {
            self.visit_statement(statement);
            if let Statement::IfStatement(branch) = statement {
                let rest = match &branch.alternate {
                    None if exits(&branch.consequent) => Some(false),
                    Some(alternate) if exits(alternate) && !exits(&branch.consequent) => Some(true),
                    _ => None,
                };
                if let Some(taken) = rest {
                    let guard = Guard::branch(self.polarity(&branch.test), taken);
                    if guard != Guard::None {
                        self.guards.push(guard);
                    }
                }
            }
        }
        self.guards.truncate(depth);
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        self.identifiers.push((it.span.start, it.name.as_str().to_string()));
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        if let AssignmentTarget::AssignmentTargetIdentifier(id) = &it.left {
            let value = inner(&it.right).span();
            self.variables.entry(id.name.as_str().to_string()).or_default().push((value.start, value.end));
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_string_literal(&mut self, it: &StringLiteral<'a>) {
        if mentions(it.value.as_str(), "dong") {
            let guard = self.guard_now();
            self.dong_literals.push((it.span.start, guard));
        }
    }

    fn visit_template_literal(&mut self, it: &TemplateLiteral<'a>) {
        for quasi in &it.quasis {
            if quasi.value.cooked.is_some_and(|cooked| mentions(cooked.as_str(), "dong")) {
                let guard = self.guard_now();
                self.dong_literals.push((quasi.span.start, guard));
            }
        }
        walk::walk_template_literal(self, it);
    }
}

/// `wechaty`, `wechaty/…`, `@scope/wechaty`, `@scope/wechaty/…` — not `wechaty-puppet…`.
pub(crate) fn is_wechaty_module(module: &str) -> bool {
    let rest = match module.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, rest)) if !scope.is_empty() => rest,
            _ => return false,
        },
        None => module,
    };
    rest == "wechaty" || rest.starts_with("wechaty/")
}

/// The package name of a bare module specifier: `@s/p/x` → `@s/p`, `p/x` → `p`.
fn package_of(module: &str) -> &str {
    let mut ends = module.match_indices('/').map(|(i, _)| i);
    let end = if module.starts_with('@') { ends.nth(1) } else { ends.next() };
    end.map_or(module, |end| &module[..end])
}

fn is_relative(module: &str) -> bool {
    module == "." || module == ".." || module.starts_with("./") || module.starts_with("../")
}

/// Another provider's puppet package: `wechaty-puppet-*` or `@scope/wechaty-puppet-*`.
fn is_provider_package(package: &str) -> bool {
    let bare = package.split_once('/').map_or(package, |(_, rest)| rest);
    bare.starts_with("wechaty-puppet-")
}

impl Facts {
    /// Offset ranges of the message handlers and of the functions they call, transitively.
    fn handler_regions(&self) -> Vec<Span> {
        let mut regions: Vec<Span> = Vec::new();
        let mut seen: HashSet<(u32, u32)> = HashSet::new();
        let mut add = |span: Span, regions: &mut Vec<Span>| {
            if seen.insert((span.start, span.end)) {
                regions.push(span);
                true
            } else {
                false
            }
        };
        for (_, listener) in &self.listeners {
            match listener {
                Listener::Inline(span) => {
                    add(*span, &mut regions);
                }
                Listener::Named(name) => {
                    if let Some(span) = self.functions.get(name) {
                        add(*span, &mut regions);
                    }
                }
                Listener::Opaque => {}
            }
        }
        loop {
            let mut grew = false;
            for (name, offset, _) in &self.named_calls {
                if within(&regions, *offset)
                    && let Some(span) = self.functions.get(name)
                {
                    grew |= add(*span, &mut regions);
                }
            }
            if !grew {
                return regions;
            }
        }
    }

    fn mentions_dong(&self, range: (u32, u32)) -> bool {
        !self.dong_sources(range).is_empty()
    }

    /// The `dong` literals an expression range carries: those written in it, and those of the variables it names
    /// (what they are bound or assigned to, followed a few names deep), with their guards.
    fn dong_sources(&self, range: (u32, u32)) -> Vec<(u32, Guard)> {
        let mut sources = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut pending = vec![(range, 0usize)];
        while let Some(((start, end), depth)) = pending.pop() {
            let first = self.dong_literals.partition_point(|&(offset, _)| offset < start);
            sources.extend(self.dong_literals[first..].iter().take_while(|(offset, _)| *offset < end).copied());
            if depth >= CONST_DEPTH {
                continue;
            }
            let first = self.identifiers.partition_point(|(offset, _)| *offset < start);
            for (_, name) in self.identifiers[first..].iter().take_while(|(offset, _)| *offset < end) {
                if seen.insert(name.as_str())
                    && let Some(values) = self.variables.get(name)
                {
                    pending.extend(values.iter().map(|value| (*value, depth + 1)));
                }
            }
        }
        sources
    }

    /// The functions (by span) that run only in the ding branch: called from the handlers, and only from ding
    /// branches (or from other such functions); each with the guard of its first call.
    fn guarded_functions(&self, regions: &[Span]) -> HashMap<(u32, u32), Guard> {
        let handlers: HashSet<(u32, u32)> = self
            .listeners
            .iter()
            .filter_map(|(_, listener)| match listener {
                Listener::Inline(span) => Some(*span),
                Listener::Named(name) => self.functions.get(name).copied(),
                Listener::Opaque => None,
            })
            .map(|span| (span.start, span.end))
            .collect();
        let mut guarded: HashMap<(u32, u32), Guard> = HashMap::new();
        loop {
            let mut grew = false;
            for (name, span) in &self.functions {
                let key = (span.start, span.end);
                if handlers.contains(&key) || guarded.contains_key(&key) {
                    continue;
                }
                let guards: Vec<Guard> = self
                    .named_calls
                    .iter()
                    .filter(|(called, offset, _)| called == name && within(regions, *offset))
                    .map(|(_, offset, guard)| effective_guard(&guarded, *offset, *guard))
                    .collect();
                if let Some(first) = guards.first()
                    && guards.iter().all(|guard| guard.is_ding())
                {
                    guarded.insert(key, *first);
                    grew = true;
                }
            }
            if !grew {
                return guarded;
            }
        }
    }

    fn verdict(mut self, file: &str, text: &str, index: &LineIndex<'_>, own_name: Option<&str>) -> Judgement {
        self.dong_literals.sort_unstable_by_key(|(offset, _)| *offset);
        self.identifiers.sort_unstable_by_key(|(offset, _)| *offset);
        let at = |offset: u32| index.locate(offset as usize);
        let mut violations = Vec::new();
        let mut missing = Vec::new();

        for used in self.modules.iter().filter(|used| !used.type_only && is_wechaty_module(&used.module)) {
            let (verb, how) = used.how.describe();
            violations.push(Finding::at(
                at(used.offset),
                format!(
                    "it {verb} `{}`{how}: the example must run the provider's puppet through the puppet API only, \
                     without Wechaty",
                    used.module
                ),
            ));
        }

        let is_own = |module: &str| {
            is_relative(module) || own_name.is_some_and(|name| !name.is_empty() && package_of(module) == name)
        };
        let mut own = None;
        for (offset, callee, binding) in &self.news {
            let Some(module) = self.bindings.get(binding) else { continue };
            let name = text.get(callee.start as usize..callee.end as usize).unwrap_or(binding);
            if is_own(module) {
                own.get_or_insert((*offset, name.to_string()));
            } else if is_provider_package(package_of(module)) {
                violations.push(Finding::at(
                    at(*offset),
                    format!(
                        "it constructs `{name}` from `{module}`, another provider's puppet: the example must run the \
                         provider's own puppet"
                    ),
                ));
            }
        }

        for say in &self.says {
            if self.mentions_dong(say.arguments) {
                violations.push(Finding::at(
                    at(say.offset),
                    format!(
                        "it answers `dong` with `.{}(…)`, the Wechaty API: the example must answer through the \
                         puppet API (`puppet.messageSendText(…)`)",
                        say.method
                    ),
                ));
            }
        }

        let own_source = match own_name {
            Some(name) if !name.is_empty() => {
                format!("its own source (a relative path such as `../src/mod.js`) or `{name}`")
            }
            _ => "its own source (a relative path such as `../src/mod.js`)".to_string(),
        };
        if own.is_none() {
            missing.push(Finding::general(format!(
                "{file}: it never constructs the provider's own puppet: looked for `new X(…)` with X imported or \
                 required from {own_source}; not found"
            )));
        }

        let regions = self.handler_regions();
        let inside = |offset: u32| within(&regions, offset);
        let ding = self.ding_tests.iter().find(|(offset, _)| inside(*offset));
        if self.listeners.is_empty() {
            missing.push(Finding::general(format!(
                "{file}: no message handler: looked for `<puppet>.on('message', …)` (or `.once`/`.addListener`) with \
                 a function or the name of one; not found"
            )));
        } else if ding.is_none() {
            missing.push(Finding::general(format!(
                "{file}: no message handler (`puppet.on('message', …)`) recognises `ding`: looked for === / == \
                 comparisons, regex tests, switch cases, includes/startsWith; not found"
            )));
            for (offset, form) in self.ding_tests.iter().filter(|(offset, _)| !inside(*offset)) {
                missing.push(Finding::at(
                    at(*offset),
                    format!("{form} for `ding` is here, outside every message handler"),
                ));
            }
        }

        let dong_sends: Vec<&MethodCall> =
            self.sends.iter().filter(|send| inside(send.offset) && self.mentions_dong(send.arguments)).collect();
        let guarded_functions = self.guarded_functions(&regions);
        let mut dong = None;
        for send in &dong_sends {
            match self.send_guard(send, &guarded_functions) {
                Guard::Ding(offset, form) => {
                    dong.get_or_insert((*send, (offset, form)));
                }
                // Without any `ding` test in the handlers, the finding above says enough.
                _ if ding.is_none() => {}
                Guard::NotDing(offset, form) => violations.push(Finding::at(
                    at(send.offset),
                    format!(
                        "`{}` answers `dong` here in the branch taken when the text is not `ding` ({form} at {}): \
                         the example must answer `dong` to `ding`",
                        send.method,
                        at(offset)
                    ),
                )),
                Guard::None => violations.push(Finding::at(
                    at(send.offset),
                    format!(
                        "`{}` answers `dong` here whatever the message says: no `ding` test guards it (the answer \
                         must be sent in the branch taken when the text is `ding`, e.g. inside `if (text === \
                         'ding')`, after `if (text !== 'ding') return`, or under `case 'ding':`)",
                        send.method
                    ),
                )),
            }
        }
        if dong_sends.is_empty() {
            missing.push(Finding::general(format!(
                "{file}: it never answers `dong` through the puppet API: looked for `<puppet>.messageSendText(…, \
                 'dong')` (or another messageSend… call whose arguments mention `dong`) in a message handler; not \
                 found"
            )));
            for send in self.sends.iter().filter(|send| !inside(send.offset) && self.mentions_dong(send.arguments)) {
                missing.push(Finding::at(
                    at(send.offset),
                    format!("`{}` answers `dong` here, outside every message handler", send.method),
                ));
            }
        }

        if violations.is_empty() && missing.is_empty() {
            let (Some((own_at, own_name)), Some((dong, (ding_at, form)))) = (own, dong) else {
                return Judgement::Fail { findings: vec![Finding::general(format!("{file}: not judged"))] };
            };
            return Judgement::Pass {
                note: Some(format!(
                    "constructs `{own_name}` at {}, recognises `ding` with {form} at {}, answers `dong` with `{}` at {}",
                    at(own_at),
                    at(ding_at),
                    dong.method,
                    at(dong.offset)
                )),
            };
        }
        violations.extend(missing);
        Judgement::Fail { findings: violations }
    }
}

impl Facts {
    /// What guards a `dong` send: its own place (or the function it is in, see [`Facts::guarded_functions`]), or
    /// else the `dong` it carries, when every `dong` literal it carries is in a ding branch (`const reply = text
    /// === 'ding' ? 'dong' : undefined`). A not-ding branch anywhere on the way is reported as such.
    fn send_guard(&self, send: &MethodCall, functions: &HashMap<(u32, u32), Guard>) -> Guard {
        let own = effective_guard(functions, send.offset, send.guard);
        if own.is_ding() {
            return own;
        }
        let carried: Vec<Guard> = self
            .dong_sources(send.arguments)
            .into_iter()
            .map(|(offset, guard)| effective_guard(functions, offset, guard))
            .collect();
        if let Some(first) = carried.first()
            && carried.iter().all(|guard| guard.is_ding())
        {
            return *first;
        }
        if let Guard::NotDing(..) = own {
            return own;
        }
        carried.into_iter().find(|guard| matches!(guard, Guard::NotDing(..))).unwrap_or(Guard::None)
    }
}

/// The guard of `offset`: its own (`lexical`) if it is a ding branch, else that of a guarded function it is in,
/// else its own.
fn effective_guard(functions: &HashMap<(u32, u32), Guard>, offset: u32, lexical: Guard) -> Guard {
    if lexical.is_ding() {
        return lexical;
    }
    functions
        .iter()
        .filter(|((start, end), _)| *start <= offset && offset < *end)
        .map(|(_, guard)| *guard)
        .min_by_key(|guard| match guard {
            Guard::Ding(offset, _) | Guard::NotDing(offset, _) => *offset,
            Guard::None => u32::MAX,
        })
        .unwrap_or(lexical)
}

fn within(regions: &[Span], offset: u32) -> bool {
    regions.iter().any(|span| span.start <= offset && offset < span.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        for yes in ["wechaty", "wechaty/impls", "@juzi/wechaty", "@juzi/wechaty/x"] {
            assert!(is_wechaty_module(yes), "{yes}");
        }
        for no in
            ["wechaty-puppet", "@juzi/wechaty-puppet", "wechaty-puppet-mock", "wechatyx", "@/wechaty", "x/wechaty"]
        {
            assert!(!is_wechaty_module(no), "{no}");
        }
        assert_eq!(package_of("@s/p/x"), "@s/p");
        assert_eq!(package_of("p/x/y"), "p");
        assert_eq!(package_of("p"), "p");
        assert!(is_provider_package("@juzi/wechaty-puppet-service"));
        assert!(!is_provider_package("wechaty-puppet"));
    }
}
