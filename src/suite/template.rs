//! `${...}` templates and duration expressions, parsed once at load time.

pub use crate::clock::{format_duration, parse_duration};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A string with `${name}` / `${name.field}` references; `$$` is a `$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(VarRef),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef {
    pub name: String,
    pub field: Option<String>,
}

/// The template as written (`$` doubled back to `$$`).
impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(text) => f.write_str(&text.replace('$', "$$"))?,
                Part::Var(reference) => write!(f, "{reference}")?,
            }
        }
        Ok(())
    }
}

impl VarRef {
    /// The reference as a person reads it in a finding: `again.slot_ms`.
    pub fn plain(&self) -> String {
        match &self.field {
            Some(field) => format!("{}.{field}", self.name),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for VarRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "${{{}.{}}}", self.name, field),
            None => write!(f, "${{{}}}", self.name),
        }
    }
}

/// Values a template can refer to: `name` → (field or "" for the value) → text.
///
/// The run's own variables (`bot`, `window`, `timeout`, …) are the same for every check of a target's suite: they
/// are one shared map ([`Scope::over`]), and what a check sets itself (its `nonce`, its captures, a loop's value) is
/// its own and shadows them. A hundred targets' checks wait at once: each copying the run's variables held about
/// half a KiB (`benches/fleet.rs`).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    shared: Option<std::sync::Arc<BTreeMap<String, Fields>>>,
    own: BTreeMap<String, Fields>,
}

impl Scope {
    /// An empty scope.
    pub fn new() -> Scope {
        Scope::default()
    }

    /// A scope that starts with `shared`'s variables.
    pub fn over(shared: std::sync::Arc<BTreeMap<String, Fields>>) -> Scope {
        Scope { shared: Some(shared), own: BTreeMap::new() }
    }

    /// A variable's fields: the check's own, else the shared one.
    pub fn get(&self, name: &str) -> Option<&Fields> {
        self.own.get(name).or_else(|| self.shared.as_ref()?.get(name))
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets a variable for this scope alone (a shared one of that name is hidden, not changed); what this scope
    /// held under that name comes back.
    pub fn insert(&mut self, name: String, fields: Fields) -> Option<Fields> {
        self.own.insert(name, fields)
    }
}

/// One variable's fields by name (`""`: the value itself), in name order. A small sorted vector, not a map: a
/// check starts with about ten variables of one field each, and a hundred targets' checks wait at once (a one-entry
/// `BTreeMap` allocates room for eleven: 12.7 MiB of a hundred targets' peak, `benches/fleet.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// A variable that is one value.
    pub fn value(value: String) -> Fields {
        Fields(vec![(String::new(), value)])
    }

    pub fn get(&self, name: &str) -> Option<&String> {
        self.0.binary_search_by(|(field, _)| field.as_str().cmp(name)).ok().map(|at| &self.0[at].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets a field; what it held before comes back.
    pub fn insert(&mut self, name: String, value: String) -> Option<String> {
        match self.0.binary_search_by(|(field, _)| field.as_str().cmp(&name)) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                self.0.insert(at, (name, value));
                None
            }
        }
    }

    /// The fields in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(name, value)| (name, value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(name, _)| name)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<BTreeMap<String, String>> for Fields {
    fn from(map: BTreeMap<String, String>) -> Fields {
        // Already in name order.
        Fields(map.into_iter().collect())
    }
}

impl FromIterator<(String, String)> for Fields {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Fields {
        let mut fields = Fields::default();
        for (name, value) in pairs {
            fields.insert(name, value);
        }
        fields
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, String)>, fn(&'a (String, String)) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(name, value)| (name, value))
    }
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(dollar) = rest.find('$') {
            literal.push_str(&rest[..dollar]);
            let after = &rest[dollar + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                literal.push('$');
                rest = tail;
            } else if let Some(tail) = after.strip_prefix('{') {
                let end = tail.find('}').ok_or_else(|| format!("`${{` without a closing `}}` in \"{text}\""))?;
                let reference = VarRef::parse(&tail[..end]).ok_or_else(|| {
                    format!("`${{{}}}` is not a variable reference: use ${{name}} or ${{name.field}}", &tail[..end])
                })?;
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(Part::Var(reference));
                rest = &tail[end + 1..];
            } else {
                literal.push('$');
                rest = after;
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    pub fn literal(text: &str) -> Template {
        Template { parts: vec![Part::Text(text.to_owned())] }
    }

    /// Whether the template is one reference and nothing else (`${a.b}`).
    pub fn is_one_reference(&self) -> bool {
        matches!(self.parts.as_slice(), [Part::Var(_)])
    }

    pub fn references(&self) -> impl Iterator<Item = &VarRef> {
        self.parts.iter().filter_map(|part| match part {
            Part::Var(reference) => Some(reference),
            Part::Text(_) => None,
        })
    }

    pub fn render(&self, scope: &Scope) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Var(reference) => out.push_str(&lookup(scope, reference)?),
            }
        }
        Ok(out)
    }
}

pub fn lookup(scope: &Scope, reference: &VarRef) -> Result<String, String> {
    let fields = scope.get(&reference.name).ok_or_else(|| format!("{reference} has no value in this run"))?;
    fields
        .get(reference.field.as_deref().unwrap_or(""))
        .cloned()
        .ok_or_else(|| format!("{reference} has no value: `{}` has no such field", reference.name))
}

impl VarRef {
    fn parse(text: &str) -> Option<VarRef> {
        let valid =
            |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let (name, field) = match text.trim().split_once('.') {
            Some((name, field)) => (name, Some(field)),
            None => (text.trim(), None),
        };
        (valid(name) && field.is_none_or(valid))
            .then(|| VarRef { name: name.to_owned(), field: field.map(str::to_owned) })
    }
}

/// A duration: literals (`60s`, `1m30s`, `250ms`, `1.5s`), variables holding
/// durations (`${window}`), whole-number multiples (`2*${window}`), and sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationExpr {
    terms: Vec<(u32, Atom)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Fixed(Duration),
    Var(VarRef),
}

impl DurationExpr {
    pub fn fixed(duration: Duration) -> DurationExpr {
        DurationExpr { terms: vec![(1, Atom::Fixed(duration))] }
    }

    pub fn parse(text: &str) -> Result<DurationExpr, String> {
        let mut terms = Vec::new();
        for term in text.split('+') {
            let term = term.trim();
            let (factor, atom) = match term.split_once('*') {
                Some((factor, atom)) => {
                    let factor = factor
                        .trim()
                        .parse::<u32>()
                        .map_err(|_| format!("\"{term}\": a multiple is written N*DURATION with a whole number N"))?;
                    (factor, atom.trim())
                }
                None => (1, term),
            };
            let atom = if let Some(name) = atom.strip_prefix("${").and_then(|rest| rest.strip_suffix('}')) {
                Atom::Var(VarRef::parse(name).ok_or_else(|| format!("\"{atom}\" is not a variable reference"))?)
            } else {
                Atom::Fixed(parse_duration(atom)?)
            };
            terms.push((factor, atom));
        }
        Ok(DurationExpr { terms })
    }

    pub fn references(&self) -> impl Iterator<Item = &VarRef> {
        self.terms.iter().filter_map(|(_, atom)| match atom {
            Atom::Var(reference) => Some(reference),
            Atom::Fixed(_) => None,
        })
    }

    pub fn eval(&self, scope: &Scope) -> Result<Duration, String> {
        let mut total = Duration::ZERO;
        for (factor, atom) in &self.terms {
            let one = match atom {
                Atom::Fixed(duration) => *duration,
                Atom::Var(reference) => {
                    let text = lookup(scope, reference)?;
                    parse_duration(&text)
                        .map_err(|error| format!("{reference} is \"{text}\", not a duration: {error}"))?
                }
            };
            total += one * *factor;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(entries: &[(&str, &str, &str)]) -> Scope {
        let mut scope = Scope::new();
        for (name, field, value) in entries {
            let mut fields = scope.get(name).cloned().unwrap_or_default();
            fields.insert((*field).into(), (*value).into());
            scope.insert((*name).into(), fields);
        }
        scope
    }

    #[test]
    fn a_scope_over_shared_variables_shadows_them_without_changing_them() {
        let mut shared = BTreeMap::new();
        shared.insert("bot".to_owned(), Fields::value("b1".into()));
        shared.insert("window".to_owned(), Fields::value("1m".into()));
        let shared = std::sync::Arc::new(shared);
        let (mut one, two) = (Scope::over(shared.clone()), Scope::over(shared.clone()));
        one.insert("bot".into(), Fields::value("b2".into()));
        one.insert("sent".into(), Fields::value("m7".into()));
        let bot = Template::parse("${bot} ${window}").unwrap();
        assert_eq!(bot.render(&one).as_deref(), Ok("b2 1m"));
        assert_eq!(bot.render(&two).as_deref(), Ok("b1 1m"));
        assert!(one.contains_key("sent") && !two.contains_key("sent") && two.contains_key("window"));
        assert_eq!(shared.get("bot"), Some(&Fields::value("b1".into())));
    }

    #[test]
    fn templates_render_variables_and_fields() {
        let template = Template::parse("hi ${bot} from ${sent.id}, $${literal} costs $5").unwrap();
        let rendered = template.render(&scope(&[("bot", "", "b1"), ("sent", "id", "m7")])).unwrap();
        assert_eq!(rendered, "hi b1 from m7, ${literal} costs $5");
        let names: Vec<String> = template.references().map(ToString::to_string).collect();
        assert_eq!(names, ["${bot}", "${sent.id}"]);
    }

    #[test]
    fn broken_templates_say_why() {
        assert!(Template::parse("${unclosed").unwrap_err().contains("without a closing"));
        assert!(Template::parse("${a b}").unwrap_err().contains("not a variable reference"));
        assert!(Template::parse("${}").is_err());
        let missing = Template::parse("${sent.nope}").unwrap().render(&scope(&[("sent", "id", "1")]));
        assert_eq!(missing.unwrap_err(), "${sent.nope} has no value: `sent` has no such field");
    }

    #[test]
    fn durations_parse_in_the_usual_units() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        for bad in ["60", "s", "", "1x", "-1s", "1.2.3s", "99999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_duration(Duration::from_secs(60)), "1m");
    }

    #[test]
    fn duration_expressions_add_multiples_of_variables() {
        let expression = DurationExpr::parse("2*${window} + 30s").unwrap();
        assert_eq!(expression.eval(&scope(&[("window", "", "1m")])), Ok(Duration::from_secs(150)));
        assert!(DurationExpr::parse("x*${window}").is_err());
        assert!(DurationExpr::parse("${window").is_err());
    }
}
