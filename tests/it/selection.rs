//! A selection that chooses nothing says why, on the real binary: a check of a suite this run leaves out (the
//! capability suite with `--no-capabilities`, the package suite without `--package`) names the flag that adds it; an unknown
//! id, tag or capability row names the nearest (did you mean …); `--skip` that skips nothing is a note, and
//! `--skip` that removed everything `--only` chose says so.

use puppet_lint::exit;

use crate::support::Cli;

fn nothing_selected(args: &[&str], why: &str) {
    let ran = Cli::new().args(args).run();
    ran.code(exit::NOTHING_SELECTED).stderr_has("nothing selected").stderr_has(why);
}

#[test]
fn a_check_of_an_opt_in_suite_names_the_flag_that_adds_it() {
    nothing_selected(
        &["--mock", "--no-capabilities", "--only", "capability.send-receive-text"],
        "are in the wechaty-puppet-capabilities suite, which runs unless --no-capabilities is given: drop \
         --no-capabilities",
    );
    nothing_selected(&["--mock", "--no-capabilities", "--only", "capability.*"], "which runs unless --no-capabilities");
    nothing_selected(&["--mock", "--only", "package.peer-dependencies"], "which runs only with --package DIR");
    // An unknown id whose nearest ids are opt-in too.
    nothing_selected(
        &["--mock", "--no-capabilities", "--only", "capability.x"],
        "did you mean capability.* (50 checks; `puppet-lint list 'capability.*'` names them)? (in the \
         wechaty-puppet-capabilities suite, which runs unless --no-capabilities is given)",
    );
}

#[test]
fn an_unknown_id_tag_or_row_names_the_nearest() {
    nothing_selected(
        &["--mock", "--only", "events.redy"],
        "--only events.redy: no check has this id; did you mean events.ready?",
    );
    nothing_selected(&["--mock", "--only", "heartbeat"], "did you mean heartbeat.* (");
    nothing_selected(
        &["--mock", "--tag", "heartbaet"],
        "--tag heartbaet: no check has this tag; did you mean heartbeat?",
    );
    nothing_selected(&["list", "--only", "evnts.ready-once"], "did you mean events.ready-once");
    Cli::new()
        .args(["--mock", "--require", "send-recieve-text"])
        .run()
        .code(exit::USAGE)
        .stderr_has("--require send-recieve-text: no such capability row; did you mean send-receive-text?");
}

#[test]
fn skip_that_removes_everything_or_nothing_says_so() {
    nothing_selected(
        &["--mock", "--only", "events.ready", "--skip", "events.*"],
        "--skip removed every check --only chose (1)",
    );
    let ran = Cli::new()
        .args(["--mock", "--only", "heartbeat.interval", "--skip", "heartbeat.intreval", "--heartbeat-window", "1s"])
        .arg("--no-report")
        .run();
    ran.code(exit::OK).stderr_has(
        "puppet-lint: note: --skip heartbeat.intreval: no check has this id, so it skips nothing; did you mean \
         heartbeat.interval?",
    );
}

/// A row `--require` names must run: left out by the selection, the run would pass without it. The check's id names
/// its row too.
#[test]
fn a_required_row_the_selection_leaves_out_is_refused() {
    let ran = Cli::new().args(["--mock", "--only", "capability.send-receive-text", "--require", "send-gif"]).run();
    ran.code(puppet_lint::exit::USAGE)
        .stderr_has("--require send-gif: its check, capability.send-gif, is not selected");
    let ran = Cli::new().args(["--mock", "--skip", "capability.send-gif", "--require", "capability.send-gif"]).run();
    ran.code(puppet_lint::exit::USAGE)
        .stderr_has("--require capability.send-gif: its check, capability.send-gif, is not");
}
