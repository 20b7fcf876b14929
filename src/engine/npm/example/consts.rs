//! Const folding: the strings a same-file `const` name may stand for.

use std::collections::HashMap;

use oxc_ast::ast::{BindingPattern, Expression, VariableDeclaration, VariableDeclarationKind};
use oxc_ast_visit::{Visit, walk};

use super::syntax::{inner, string_value};

/// Same-file `const` bindings to strings, templates without expressions, ternaries of such, or other such consts,
/// collected before the facts: a name is resolved only if every `const` of that name is (names are not scoped).
#[derive(Default)]
pub(super) struct Consts {
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
pub(super) const CONST_DEPTH: usize = 16;

impl Consts {
    pub(super) fn resolve(&self) -> HashMap<String, Vec<String>> {
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
