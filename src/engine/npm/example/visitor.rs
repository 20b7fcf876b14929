//! The one pass over the syntax tree that collects the [`Facts`]: imports and requires, bindings, `new`
//! expressions, message handlers, named functions, calls, `ding` tests and the branches they guard, `dong` literals.

use oxc_allocator::Vec as ArenaVec;
use oxc_ast::ast::{
    Argument, AssignmentExpression, AssignmentTarget, BinaryExpression, BindingPattern, CallExpression,
    ConditionalExpression, ExportAllDeclaration, ExportFromDeclaration, Expression, FormalParameters, Function,
    IdentifierReference, IfStatement, ImportDeclaration, ImportDeclarationSpecifier, ImportExpression,
    LogicalExpression, LogicalOperator, MethodDefinition, NewExpression, PropertyDefinition, Statement, StringLiteral,
    SwitchStatement, TSImportEqualsDeclaration, TSModuleReference, TemplateLiteral, VariableDeclarator,
};
use oxc_ast_visit::{Visit, walk};
use oxc_span::GetSpan;
use oxc_syntax::scope::ScopeFlags;

use super::ding::is_dong_text;
use super::facts::{Construction, Facts, Guard, How, Listener, MethodCall, ModuleUse, NamedCall};
use super::syntax::{argument_range, inner, member, required_module, string_value};

/// The one puppet API method whose `dong` answers a `ding`: wechaty-puppet's `messageSendText`, a text. The others
/// send a file, URL, contact, mini-program, location or post, whose name or title mentioning `dong` is no answer.
pub(super) const TEXT_SEND: &str = "messageSendText";

/// The methods of the puppet API that send a message (wechaty-puppet's `messageSend…` family).
const SEND_METHODS: [&str; 7] = [
    TEXT_SEND,
    "messageSendFile",
    "messageSendContact",
    "messageSendUrl",
    "messageSendMiniProgram",
    "messageSendLocation",
    "messageSendPost",
];

/// The methods of an event emitter that register a listener.
const LISTEN_METHODS: [&str; 5] = ["on", "once", "addListener", "prependListener", "prependOnceListener"];

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
            let send = MethodCall { method: method.to_string(), offset, arguments, guard };
            match self.dead_branch {
                Some(branch) if self.dead > 0 => self.dead_sends.push((send, branch)),
                _ => self.sends.push(send),
            }
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
            let arguments =
                call.arguments.iter().map(|argument| (argument.span().start, argument.span().end)).collect();
            self.named_calls.push(NamedCall { name: method.to_string(), offset, guard, arguments });
        }
    }

    /// The current guard: the innermost `ding` branch if there is one, else the innermost not-`ding` branch.
    fn guard_now(&self) -> Guard {
        let innermost =
            |ding: bool| self.guards.iter().rev().copied().find(|g| g.is_ding() == ding && *g != Guard::None);
        innermost(true).or_else(|| innermost(false)).unwrap_or(Guard::None)
    }

    /// A `dong` text at `offset`: with its guard, or kept apart in a branch that never runs.
    fn dong_literal(&mut self, offset: u32) {
        if self.dead > 0 {
            self.dead_dongs.push(offset);
        } else {
            let guard = self.guard_now();
            self.dong_literals.push((offset, guard));
        }
    }

    /// Visits a branch that never runs (`test` at `offset`, of `form`): what it sends is kept apart.
    fn dead<R>(&mut self, branch: (u32, &'static str), visit: impl FnOnce(&mut Self) -> R) -> R {
        let outer = self.dead_branch.replace(branch);
        self.dead += 1;
        let result = visit(self);
        self.dead -= 1;
        self.dead_branch = outer;
        result
    }

    /// A function's parameters, by name, for a helper's calls to bind.
    fn note_parameters(&mut self, name: &str, parameters: &FormalParameters<'_>) {
        let names = parameters
            .items
            .iter()
            .map(|parameter| match &parameter.pattern {
                BindingPattern::BindingIdentifier(id) => Some(id.name.as_str().to_string()),
                BindingPattern::AssignmentPattern(assigned) => match &assigned.left {
                    BindingPattern::BindingIdentifier(id) => Some(id.name.as_str().to_string()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        self.parameters.entry(name.to_string()).or_insert(names);
    }

    fn guarded<R>(&mut self, guard: Guard, visit: impl FnOnce(&mut Self) -> R) -> R {
        self.guards.push(guard);
        let result = visit(self);
        self.guards.pop();
        result
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
                        self.note_parameters(id.name.as_str(), &arrow.params);
                    }
                }
                Expression::FunctionExpression(function) => {
                    if let BindingPattern::BindingIdentifier(id) = &it.id {
                        self.functions.insert(id.name.as_str().to_string(), function.span);
                        self.note_parameters(id.name.as_str(), &function.params);
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
            self.note_parameters(id.name.as_str(), &it.params);
        }
        walk::walk_function(self, it, flags);
    }

    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        if let Some(name) = it.key.static_name() {
            self.functions.entry(name.to_string()).or_insert(it.value.span);
            self.note_parameters(&name, &it.value.params);
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
                let arguments =
                    it.arguments.iter().map(|argument| (argument.span().start, argument.span().end)).collect();
                let name = id.name.as_str().to_string();
                self.named_calls.push(NamedCall { name, offset: it.span.start, guard, arguments });
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
            self.news.push(Construction { offset: it.span.start, callee: it.callee.span(), binding });
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

    /// A test that is always true or always false (`if (false)`, `if (MODE === 'off')` with `const MODE = 'on'`)
    /// has a branch that never runs: what it sends answers nothing.
    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        self.visit_expression(&it.test);
        let polarity = self.polarity(&it.test);
        let constant = self.constant(&it.test);
        let branch =
            (it.test.span().start, if constant == Some(false) { "a test always false" } else { "a test always true" });
        if constant == Some(false) {
            self.dead(branch, |facts| facts.visit_statement(&it.consequent));
        } else {
            self.guarded(Guard::branch(polarity, true), |facts| facts.visit_statement(&it.consequent));
        }
        if let Some(alternate) = &it.alternate {
            if constant == Some(true) {
                self.dead(branch, |facts| facts.visit_statement(alternate));
            } else {
                self.guarded(Guard::branch(polarity, false), |facts| facts.visit_statement(alternate));
            }
        }
    }

    fn visit_conditional_expression(&mut self, it: &ConditionalExpression<'a>) {
        self.visit_expression(&it.test);
        let polarity = self.polarity(&it.test);
        let constant = self.constant(&it.test);
        let branch =
            (it.test.span().start, if constant == Some(false) { "a test always false" } else { "a test always true" });
        if constant == Some(false) {
            self.dead(branch, |facts| facts.visit_expression(&it.consequent));
        } else {
            self.guarded(Guard::branch(polarity, true), |facts| facts.visit_expression(&it.consequent));
        }
        if constant == Some(true) {
            self.dead(branch, |facts| facts.visit_expression(&it.alternate));
        } else {
            self.guarded(Guard::branch(polarity, false), |facts| facts.visit_expression(&it.alternate));
        }
    }

    /// `t === 'ding' && send(…)` runs the right side only when the left is true; `||` only when it is false.
    fn visit_logical_expression(&mut self, it: &LogicalExpression<'a>) {
        self.visit_expression(&it.left);
        let guard = match it.operator {
            LogicalOperator::And => Guard::branch(self.polarity(&it.left), true),
            LogicalOperator::Or => Guard::branch(self.polarity(&it.left), false),
            LogicalOperator::Coalesce => Guard::None,
        };
        let never = match (it.operator, self.constant(&it.left)) {
            (LogicalOperator::And, Some(false)) => Some("a test always false"),
            (LogicalOperator::Or, Some(true)) => Some("a test always true"),
            _ => None,
        };
        match never {
            Some(form) => self.dead((it.left.span().start, form), |facts| facts.visit_expression(&it.right)),
            None => self.guarded(guard, |facts| facts.visit_expression(&it.right)),
        }
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
        if is_dong_text(it.value.as_str()) {
            self.dong_literal(it.span.start);
        }
    }

    /// A template is a `dong` when its text begins as one (`` `dong ${name}` ``): its first part, the rest being
    /// what the provider adds (a name, an echo).
    fn visit_template_literal(&mut self, it: &TemplateLiteral<'a>) {
        if let Some(quasi) = it.quasis.first()
            && quasi.value.cooked.is_some_and(|cooked| is_dong_text(cooked.as_str()))
        {
            self.dong_literal(quasi.span.start);
        }
        walk::walk_template_literal(self, it);
    }
}
