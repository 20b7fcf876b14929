//! The ding-dong example, judged on its syntax tree (oxc), not on its text.
//!
//! One pass over the tree collects the facts (imports, bindings, `new` expressions, message handlers, named
//! functions, `ding` tests, `messageSend…` and `say` calls, string literals that mention `dong`); the verdict is
//! then drawn from those facts by offset ranges: "inside a message handler" means inside the function passed to
//! `.on('message', …)`, or inside a function of this file that such a handler calls (transitively).

use std::collections::{HashMap, HashSet};

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, ArrayExpressionElement, BinaryExpression, BinaryOperator, BindingPattern, CallExpression,
    ExportAllDeclaration, ExportFromDeclaration, Expression, Function, ImportDeclaration, ImportDeclarationSpecifier,
    ImportExpression, MethodDefinition, NewExpression, PropertyDefinition, StringLiteral, SwitchStatement,
    TSImportEqualsDeclaration, TSModuleReference, TemplateLiteral, VariableDeclarator,
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
    let mut facts = Facts::default();
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

/// A call of a method with its argument range (from the first argument's start to the last one's end).
struct MethodCall {
    method: String,
    offset: u32,
    arguments: (u32, u32),
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
    /// Calls of a plain name or of `this.name`: (name, offset).
    named_calls: Vec<(String, u32)>,
    /// `ding` tests: (offset, form).
    ding_tests: Vec<(u32, &'static str)>,
    sends: Vec<MethodCall>,
    says: Vec<MethodCall>,
    /// Offsets of string literals and template parts that mention `dong`, in source order.
    dong_literals: Vec<u32>,
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

fn is_string(expression: &Expression<'_>) -> bool {
    string_value(expression).is_some()
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
        if SEND_METHODS.contains(&method) {
            self.sends.push(MethodCall { method: method.to_string(), offset, arguments });
        }
        if method == "say" {
            self.says.push(MethodCall { method: method.to_string(), offset, arguments });
        }
        let form = match method {
            "test" | "exec" if is_ding_regex(object) => Some("a regex test"),
            "match" | "matchAll" | "search"
                if first.is_some_and(|a| is_ding_regex(a) || string_value(a).is_some_and(|s| mentions(&s, "ding"))) =>
            {
                Some("a regex match")
            }
            "includes" | "startsWith" | "endsWith" | "indexOf"
                if first.and_then(string_value).is_some_and(|s| mentions(&s, "ding")) =>
            {
                Some("a string search")
            }
            "includes" | "indexOf" if is_ding_list(object) => Some("a list of words"),
            _ => None,
        };
        if let Some(form) = form {
            self.ding_tests.push((offset, form));
        }
        if matches!(inner(object), Expression::ThisExpression(_)) {
            self.named_calls.push((method.to_string(), offset));
        }
    }
}

fn is_ding_list(expression: &Expression<'_>) -> bool {
    match inner(expression) {
        Expression::ArrayExpression(array) => array
            .elements
            .iter()
            .filter_map(ArrayExpressionElement::as_expression)
            .any(|e| string_value(e).is_some_and(|s| is_ding(&s))),
        _ => false,
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
            Expression::Identifier(id) => self.named_calls.push((id.name.as_str().to_string(), it.span.start)),
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
        if matches!(
            it.operator,
            BinaryOperator::StrictEquality
                | BinaryOperator::Equality
                | BinaryOperator::StrictInequality
                | BinaryOperator::Inequality
        ) {
            let ding_on =
                |a: &Expression<'_>, b: &Expression<'_>| string_value(a).is_some_and(|s| is_ding(&s)) && !is_string(b);
            if ding_on(&it.left, &it.right) || ding_on(&it.right, &it.left) {
                self.ding_tests.push((it.span.start, "a comparison"));
            }
        }
        walk::walk_binary_expression(self, it);
    }

    fn visit_switch_statement(&mut self, it: &SwitchStatement<'a>) {
        for case in &it.cases {
            if case.test.as_ref().and_then(string_value).is_some_and(|s| is_ding(&s)) {
                self.ding_tests.push((case.span.start, "a switch case"));
            }
        }
        walk::walk_switch_statement(self, it);
    }

    fn visit_string_literal(&mut self, it: &StringLiteral<'a>) {
        if mentions(it.value.as_str(), "dong") {
            self.dong_literals.push(it.span.start);
        }
    }

    fn visit_template_literal(&mut self, it: &TemplateLiteral<'a>) {
        for quasi in &it.quasis {
            if quasi.value.cooked.is_some_and(|cooked| mentions(cooked.as_str(), "dong")) {
                self.dong_literals.push(quasi.span.start);
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
            for (name, offset) in &self.named_calls {
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

    fn mentions_dong(&self, (start, end): (u32, u32)) -> bool {
        let first = self.dong_literals.partition_point(|&offset| offset < start);
        self.dong_literals.get(first).is_some_and(|&offset| offset < end)
    }

    fn verdict(mut self, file: &str, text: &str, index: &LineIndex<'_>, own_name: Option<&str>) -> Judgement {
        self.dong_literals.sort_unstable();
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

        let dong = self.sends.iter().find(|send| inside(send.offset) && self.mentions_dong(send.arguments));
        if dong.is_none() {
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
            let (Some((own_at, own_name)), Some((ding_at, form)), Some(dong)) = (own, ding, dong) else {
                return Judgement::Fail { findings: vec![Finding::general(format!("{file}: not judged"))] };
            };
            return Judgement::Pass {
                note: Some(format!(
                    "constructs `{own_name}` at {}, recognises `ding` with {form} at {}, answers `dong` with `{}` at {}",
                    at(own_at),
                    at(*ding_at),
                    dong.method,
                    at(dong.offset)
                )),
            };
        }
        violations.extend(missing);
        Judgement::Fail { findings: violations }
    }
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
