//! `puppet-lint list`: the checks a run would choose from, and what each one
//! asks of a provider — as a table, one check in full, JSON or Markdown.

use comfy_table::presets::NOTHING;
use comfy_table::{Attribute, Cell, Color};
use serde_json::json;

use crate::cli::{ListArgs, ListFormat};
use crate::error::Error;
use crate::report::escape::markdown::trusted_cell;
use crate::report::look::{Look, Paint};
use crate::report::one_line;
use crate::suite::{self as select, Planned, Severity};

pub fn list(args: ListArgs) -> Result<(), Error> {
    let suites = select::load_suites(&args.selection.suites)?;
    let selection = &args.selection;
    // Checks named in full narrow the selection as `--only` does.
    let only: Vec<String> = selection.only.iter().chain(&args.checks).cloned().collect();
    // Every suite, whatever a run would have: a listing shows them all.
    let plan = select::plan(&suites, &only, &selection.skip, &selection.tags, EVERY_SUITE);
    // A check asked for by a name no suite has is a typo, not a filter.
    let every = select::plan(&suites, &[], &[], &[], EVERY_SUITE);
    if let Some(name) =
        args.checks.iter().find(|name| !every.iter().any(|planned| select::glob(name, &planned.check.id)))
    {
        return Err(Error::Usage(format!("no check matches `{name}`; `puppet-lint list` shows every check's id")));
    }
    let look = Look::detect(args.color);
    let text = match args.format {
        ListFormat::Json => json_list(&plan),
        ListFormat::Markdown => markdown(&plan),
        ListFormat::Table if !args.checks.is_empty() => plan.iter().map(|planned| in_full(planned, &look)).collect(),
        ListFormat::Table => table(&plan, &look),
    };
    super::print_stdout(&text);
    if plan.is_empty() {
        let why = select::unmatched(&suites, &only, &selection.skip, &selection.tags, EVERY_SUITE);
        return Err(Error::NothingSelected { why });
    }
    Ok(())
}

/// A listing shows the suites of every kind of run.
const EVERY_SUITE: &[&str] = &["discovery", "package", "registry", "capabilities"];

fn level(severity: Severity) -> &'static str {
    severity.as_str()
}

/// When a check runs, in a few words; empty for an ordinary check (it runs
/// beside the others, on every run). [`RUNS_LEGEND`] explains the words.
fn runs(planned: &Planned) -> String {
    let check = &planned.check;
    match planned.suite.when.as_deref() {
        Some("package") => "with --package".to_owned(),
        Some("registry") => "with --registry".to_owned(),
        Some("discovery") => "with a token".to_owned(),
        Some("capabilities") if check.destructive => "capabilities, D".to_owned(),
        Some("capabilities") => "capabilities".to_owned(),
        Some(other) => format!("with {other}"),
        None if check.destructive => "destructive".to_owned(),
        None if check.exclusive() => "alone".to_owned(),
        None if check.observes_run() => "at the end".to_owned(),
        None => String::new(),
    }
}

/// What the words of the `runs` column mean.
const RUNS_LEGEND: &str = "\
runs: (empty) beside the others, on every run · alone: after them, by itself · at the end: judges the whole run
      destructive: only with --allow-destructive, last, one at a time · with a token: when discovery found the target
      capabilities: what the provider can do, unless --no-capabilities (D: destructive too)";

fn json_list(plan: &[Planned]) -> String {
    let checks: Vec<_> = plan
        .iter()
        .map(|planned| {
            let check = &planned.check;
            json!({
                "suite": planned.suite.id,
                "id": check.id,
                "title": check.title,
                "level": level(check.severity),
                "tags": check.tags,
                "destructive": check.destructive,
                "when": planned.suite.when,
                "runs": runs(planned),
                "requirement": check.requirement,
                "spec": check.spec,
            })
        })
        .collect();
    // C1 controls and DEL as `\u` escapes, as in report.json (JSON allows them raw; `cat` would not).
    let mut text = crate::events::escape_c1_controls(serde_json::to_string_pretty(&checks).unwrap_or_default());
    text.push('\n');
    text
}

fn table(plan: &[Planned], look: &Look) -> String {
    let mut table = look.table();
    table.set_header(vec!["check", "level", "what it asks", "runs"]);
    for planned in plan {
        let check = &planned.check;
        // A suite handed in (`--suite FILE`) is input: its words are shown inert, as a peer's are.
        let mut id = Cell::new(format!("{}\n{}", one_line(&check.id), one_line(&check.tags.join(", "))));
        let mut level_cell = Cell::new(level(check.severity));
        if look.color {
            id = id.add_attribute(Attribute::Bold);
            level_cell = level_cell.fg(if check.severity == Severity::Must { Color::Red } else { Color::Yellow });
        }
        table.add_row(vec![
            id,
            level_cell,
            // A cell is styled whole: the title stays plain beside the requirement.
            Cell::new(format!("{}:\n{}", one_line(&check.title), one_line(&one_paragraph(&check.requirement)))),
            Cell::new(one_line(&runs(planned))),
        ]);
    }
    format!(
        "{table}\n{RUNS_LEGEND}\n{} check(s). `puppet-lint list CHECK` shows one in full with its source; \
         suites/README.md says how to write your own.\n",
        plan.len()
    )
}

/// One check in full: every field a provider needs to know what it asks.
fn in_full(planned: &Planned, look: &Look) -> String {
    let check = &planned.check;
    let mut fields = look.table();
    fields.load_style(NOTHING);
    let mut row = |name: &str, value: String| {
        if !value.is_empty() {
            fields.add_row(vec![Cell::new(name), Cell::new(value)]);
        }
    };
    row("level", level(check.severity).to_owned());
    row("suite", one_line(&planned.suite.id));
    row("tags", one_line(&check.tags.join(", ")));
    row("runs", one_line(&runs(planned)));
    row("asks", one_line(&one_paragraph(&check.requirement)));
    row("source", one_line(check.spec.as_deref().unwrap_or_default()));
    // A borderless table pads every line to its width, with a space before:
    // both trimmed.
    let fields: String = fields
        .to_string()
        .lines()
        .map(|line| format!("  {}\n", line.strip_prefix(' ').unwrap_or(line).trim_end()))
        .collect();
    format!("{} — {}\n{fields}\n", look.paint(&one_line(&check.id), Paint::Bold), one_line(&check.title))
}

fn markdown(plan: &[Planned]) -> String {
    let mut out = String::from("| check | level | what it asks | runs |\n|---|---|---|---|\n");
    for planned in plan {
        let check = &planned.check;
        let asks = format!("**{}** — {}", check.title, one_paragraph(&check.requirement));
        let source = check.spec.as_ref().map(|spec| format!(" ([source]({spec}))")).unwrap_or_default();
        out.push_str(&format!(
            "| `{}` | {} | {}{} | {} |\n",
            check.id,
            level(check.severity),
            trusted_cell(&asks),
            source,
            trusted_cell(&runs(planned))
        ));
    }
    out
}

/// A requirement written over several YAML lines, as one paragraph.
fn one_paragraph(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    /// README's check table is `puppet-lint list --format markdown`: a check added, renamed or reworded in a
    /// suite and not in README (or the reverse) fails here. Regenerate it with that command.
    #[test]
    fn readme_check_table_is_the_generated_one() {
        const START: &str = "<!-- checks: generated by puppet-lint list --format markdown; do not edit -->\n";
        const END: &str = "<!-- /checks -->";
        let readme = include_str!("../../README.md");
        let start = readme.find(START).expect("README has the checks marker") + START.len();
        let end = start + readme[start..].find(END).expect("README closes the checks table");
        let suites = super::select::load_suites(&[]).expect("the built-in suites load");
        let plan = super::select::plan(&suites, &[], &[], &[], super::EVERY_SUITE);
        let generated = super::markdown(&plan);
        assert!(
            readme[start..end] == generated,
            "README's check table is not `puppet-lint list --format markdown`; regenerate it:\n{generated}"
        );
    }
}
