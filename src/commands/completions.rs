//! `puppet-lint completions SHELL`: clap's completion script for a shell.

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Error;

pub fn completions(args: CompletionsArgs) -> Result<(), Error> {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, BIN, &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if args.shell == clap_complete::Shell::Bash {
        script = mend_bash(&script);
    }
    super::print_stdout(&script);
    Ok(())
}

const BIN: &str = "puppet-lint";

/// clap_complete's bash script spells the state of a hyphenated binary's
/// subcommands two ways: the loop that reads the words builds
/// `puppet__lint__subcmd__doctor`, the arms that complete them match
/// `puppet__subcmd__lint__subcmd__doctor`, so nothing after a subcommand
/// completes (clap-rs/clap#6421, open in clap_complete 4.6). The arms are
/// spelled as the loop spells them.
fn mend_bash(script: &str) -> String {
    script.replace("puppet__subcmd__lint__", "puppet__lint__")
}
