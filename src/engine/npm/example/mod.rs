//! The ding-dong example, judged on its syntax tree (oxc), not on its text.
//!
//! One pass over the tree collects the facts (imports, bindings, `new` expressions, message handlers, named
//! functions, `ding` tests, `messageSend…` and `say` calls, string literals that mention `dong`); the verdict is
//! then drawn from those facts by offset ranges: "inside a message handler" means inside the function passed to
//! `.on('message', …)`, or inside a function of this file that such a handler calls (transitively).
//!
//! The rooms: [`facts`] (what the pass collects), [`visitor`] (the pass), [`consts`] (same-file `const` strings,
//! folded before the pass), [`ding`] (what recognises a `ding`), [`verdict`] (the judgement drawn from the facts),
//! [`package_names`] (npm module specifiers), [`syntax`] (small readers of oxc expressions).

mod consts;
mod ding;
mod facts;
mod package_names;
mod syntax;
mod verdict;
mod visitor;

use oxc_allocator::Allocator;
use oxc_ast_visit::Visit;
use oxc_parser::Parser;
use oxc_span::SourceType;

use super::location::LineIndex;
use super::{Finding, Judgement};
use consts::Consts;
use facts::Facts;

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
