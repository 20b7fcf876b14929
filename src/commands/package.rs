//! `puppet-lint package [DIR]`: the spec's npm publication rules on a
//! provider's package, with the same verdicts, reports and exit codes as a run.

use crate::cli::PackageArgs;
use crate::config::RunConfig;
use crate::error::Error;

pub async fn package(args: PackageArgs) -> Result<(), Error> {
    super::run::execute(RunConfig::from_package_args(&args)?).await
}
