//! `puppet-lint matrix REPORT…|DIR`: providers × checks from saved reports,
//! as Markdown, a self-contained HTML page, or JSON.

use crate::cli::{MatrixArgs, MatrixFormat};
use crate::error::Error;
use crate::report::files;
use crate::report::matrix::{self, Input, Matrix};

pub fn matrix(args: MatrixArgs) -> Result<(), Error> {
    let inputs: Vec<Input> = args.inputs.iter().map(|arg| Input::parse(arg)).collect();
    let reports = matrix::load_inputs(&inputs).map_err(|error| Error::Usage(error.to_string()))?;
    let mut built = Matrix::build(reports);
    if args.capabilities_only {
        if built.capabilities.is_none() {
            return Err(Error::Usage(
                "--capabilities-only: no report probed capabilities (run with --capabilities)".into(),
            ));
        }
        built.suites.clear();
    }
    let text = match args.format {
        MatrixFormat::Markdown if args.capabilities_only => {
            crate::redact::redact(&matrix::capabilities_markdown(&built)).into_owned()
        }
        MatrixFormat::Markdown => matrix::markdown(&built),
        MatrixFormat::Html => matrix::html(&built),
        MatrixFormat::Json => matrix::json(&built),
    };
    match &args.output {
        Some(path) => files::write_atomically(path, &text)
            .map_err(|error| Error::Write(format!("cannot write {}: {error}", path.display())))?,
        None => super::print_stdout(&text),
    }
    Ok(())
}
