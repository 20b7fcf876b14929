//! The facts one pass over the example collects (see [`super::visitor`]), and their small types.

use std::collections::HashMap;

use oxc_span::Span;

/// How a module is brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum How {
    Import,
    SideEffectImport,
    DynamicImport,
    Require,
    ReExport,
}

impl How {
    /// The verb before the module's name, and what follows it.
    pub(super) fn describe(self) -> (&'static str, &'static str) {
        match self {
            How::Import => ("imports", ""),
            How::SideEffectImport => ("imports", " for its side effects"),
            How::DynamicImport => ("imports", " dynamically (`import(…)`)"),
            How::Require => ("requires", ""),
            How::ReExport => ("re-exports from", ""),
        }
    }
}

pub(super) struct ModuleUse {
    pub(super) module: String,
    pub(super) offset: u32,
    pub(super) how: How,
    pub(super) type_only: bool,
}

/// A call of a method with its argument range (from the first argument's start to the last one's end), and
/// what guards it where it is written.
pub(super) struct MethodCall {
    pub(super) method: String,
    pub(super) offset: u32,
    pub(super) arguments: (u32, u32),
    pub(super) guard: Guard,
}

/// What decides whether a piece of code runs, as far as `ding` goes: the code is in the branch taken when the text
/// is `ding` (`Ding`), in the branch taken when it is not (`NotDing`), or neither. Each carries the test's offset
/// and form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Guard {
    None,
    Ding(u32, &'static str),
    NotDing(u32, &'static str),
}

impl Guard {
    /// A guard for the branch where the test (of `polarity`: true when the text is ding) came out `taken`.
    pub(super) fn branch(polarity: Option<(bool, u32, &'static str)>, taken: bool) -> Guard {
        match polarity {
            Some((positive, offset, form)) if positive == taken => Guard::Ding(offset, form),
            Some((_, offset, form)) => Guard::NotDing(offset, form),
            None => Guard::None,
        }
    }

    pub(super) fn is_ding(self) -> bool {
        matches!(self, Guard::Ding(..))
    }
}

/// A `new` expression: its offset, the callee's span and its binding (the identifier or the member's object).
pub(super) struct Construction {
    pub(super) offset: u32,
    pub(super) callee: Span,
    pub(super) binding: String,
}

/// A call of a plain name or of `this.name`, and what guards it; its arguments' ranges, in order (a helper's
/// parameters stand for them: see [`Facts::bind_parameters`]).
pub(super) struct NamedCall {
    pub(super) name: String,
    pub(super) offset: u32,
    pub(super) guard: Guard,
    pub(super) arguments: Vec<(u32, u32)>,
}

pub(super) enum Listener {
    /// A function written in place: its span.
    Inline(Span),
    /// A function referred to by name (`onMessage`, `this.onMessage`, `onMessage.bind(this)`).
    Named(String),
    /// Something else (cannot be followed).
    Opaque,
}

#[derive(Default)]
pub(super) struct Facts {
    pub(super) modules: Vec<ModuleUse>,
    /// Local name → the module it comes from.
    pub(super) bindings: HashMap<String, String>,
    /// `new` expressions.
    pub(super) news: Vec<Construction>,
    pub(super) listeners: Vec<(u32, Listener)>,
    /// Named functions, const arrow functions and class methods of the file: name → span.
    pub(super) functions: HashMap<String, Span>,
    /// Calls of a plain name or of `this.name`.
    pub(super) named_calls: Vec<NamedCall>,
    /// `ding` tests: (offset, form).
    pub(super) ding_tests: Vec<(u32, &'static str)>,
    pub(super) sends: Vec<MethodCall>,
    pub(super) says: Vec<MethodCall>,
    /// Offsets of string literals and template parts that mention `dong`, with their guards (sorted before use).
    pub(super) dong_literals: Vec<(u32, Guard)>,
    /// Same-file `const` names bound to strings (see [`super::consts`]): name → the values it may have.
    pub(super) consts: HashMap<String, Vec<String>>,
    /// The guards around the code being visited, innermost last.
    pub(super) guards: Vec<Guard>,
    /// Identifier references: (offset, name), in source order.
    pub(super) identifiers: Vec<(u32, String)>,
    /// What each variable is bound or assigned to (not functions): name → the value expressions' ranges.
    pub(super) variables: HashMap<String, Vec<(u32, u32)>>,
    /// Each named function's parameters, in order (`None` for a pattern or a rest parameter).
    pub(super) parameters: HashMap<String, Vec<Option<String>>>,
    /// How many branches that never run (`if (false)`, a test const folding decides) the visit is inside.
    pub(super) dead: usize,
    /// The branch that never runs being visited, innermost: its test's offset and form.
    pub(super) dead_branch: Option<(u32, &'static str)>,
    /// Sends written in branches that never run: the send, and the branch's test (offset, form).
    pub(super) dead_sends: Vec<(MethodCall, (u32, &'static str))>,
    /// Offsets of `dong` texts written in branches that never run.
    pub(super) dead_dongs: Vec<u32>,
}
