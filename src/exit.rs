//! Exit codes, in one place (also printed by `--help` and in docs/exit-codes.md).

/// Every `must` check passed (or exactly the baseline's checks failed).
pub const OK: i32 = 0;
/// A conformance failure, or a stale baseline entry.
pub const FAILURE: i32 = 1;
/// A usage or suite error: nothing ran.
pub const USAGE: i32 = 2;
/// The target could not be reached, authenticated or logged in.
pub const UNREACHABLE: i32 = 3;
/// The selection matched no check.
pub const NOTHING_SELECTED: i32 = 4;

/// The exit codes as `--help` prints them.
pub const HELP: &str = "\
Exit codes:
  0        every `must` check passed (or exactly the baseline's checks failed)
  1        a conformance failure, or a baseline entry that now passes (stale)
  2        usage or suite error
  3        the target could not be reached, authenticated or logged in, or was lost
           mid-run; or a check could not run (the run deadline passed first);
           `discover`: the token did not resolve
  4        nothing selected
  130/143  interrupted by SIGINT/SIGTERM (the reports so far are still written)
With several targets, the worst of theirs (3 over 1 over 0).";
