//! `puppet-lint package [DIR]`: the spec's npm publication rules on a
//! provider's package, with the same verdicts, reports and exit codes as a run.

use crate::cli::PackageArgs;
use crate::engine;
use crate::error::Error;
use crate::run::{Input, Selection};
use crate::select;

pub async fn package(args: PackageArgs) -> Result<i32, Error> {
    if !args.dir.is_dir() {
        return Err(Error::Usage(format!("{} is not a directory: give the package's directory", args.dir.display())));
    }
    let suites = select::load_suites(&[])?;
    let plan: Vec<_> = select::plan(&suites, &[], &[], &[], &["package"])
        .into_iter()
        .filter(|planned| planned.suite.when.as_deref() == Some("package"))
        .collect();
    let input = Input {
        target: None,
        registry: None,
        setup: Default::default(),
        settings: engine::Settings { package: Some(args.dir.clone()), ..engine::Settings::default() },
        suites: suites.into_iter().filter(|suite| suite.when.as_deref() == Some("package")).collect(),
        plan,
        selection: Selection::default(),
    };
    super::run::execute(input, &args.output, None).await
}
