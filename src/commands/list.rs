//! `puppet-lint list`: the checks a run would choose from.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde_json::json;

use crate::cli::{ListArgs, ListFormat};
use crate::error::Error;
use crate::suite::{self as select, Severity};

pub fn list(args: ListArgs) -> Result<(), Error> {
    let suites = select::load_suites(&args.selection.suites)?;
    let selection = &args.selection;
    // Every suite, whatever a run would have: a listing shows them all.
    let plan =
        select::plan(&suites, &selection.only, &selection.skip, &selection.tags, &["discovery", "package", "registry"]);
    let level = |severity: Severity| match severity {
        Severity::Must => "must",
        Severity::Should => "should",
    };
    let text = match args.format {
        ListFormat::Json => {
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
                        "requirement": check.requirement,
                        "spec": check.spec,
                    })
                })
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&checks).unwrap_or_default())
        }
        ListFormat::Table => {
            let mut table = Table::new();
            table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
            table.set_header(vec!["id", "title", "level", "tags", "runs"]);
            for planned in &plan {
                let check = &planned.check;
                table.add_row(vec![
                    check.id.clone(),
                    check.title.clone(),
                    level(check.severity).to_owned(),
                    check.tags.join(", "),
                    match (&planned.suite.when, check.destructive) {
                        (Some(when), _) => format!("with {when}"),
                        (None, true) => "destructive".to_owned(),
                        (None, false) => String::new(),
                    },
                ]);
            }
            format!("{table}\n{} check(s)\n", plan.len())
        }
    };
    super::print_stdout(&text);
    if plan.is_empty() { Err(Error::NothingSelected) } else { Ok(()) }
}
