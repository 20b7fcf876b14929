//! `puppet-lint doctor`: where a connection fails, step by step — the same
//! connection walk a run makes (discovery → TCP → TLS → auth → `Version` →
//! first event → login), rendered as one line per step with its result and
//! duration, and for the step that fails, what to try.

use std::sync::Arc;
use std::time::Duration;

use crate::cli::DoctorArgs;
use crate::config::{ProcessEnv, Target, TargetChoice, Timeouts};
use crate::error::Error;
use crate::events::{Observer, RunEvent};
use crate::report::look::{Look, Paint};
use crate::session::walk::{self, WalkOptions};

pub async fn doctor(args: DoctorArgs) -> Result<(), Error> {
    let choice = if args.mock {
        TargetChoice::Mock {
            faults: Vec::new(),
            heartbeat_interval: Duration::from_secs(15),
            flood_count: crate::mock::DEFAULT_FLOOD_COUNT,
            slow_delay: crate::mock::DEFAULT_SLOW_DELAY,
        }
    } else {
        TargetChoice::Given(Target::resolve(&args.target, &ProcessEnv).map_err(|error| Error::Usage(error.0))?)
    };
    let (target, started) = super::start_target(&choice).await?;
    let Some(target) = target else { return Err(Error::Usage("doctor needs a target".into())) };
    let look = Look::detect(args.color);
    let doctor = Arc::new(Doctor { look });
    doctor.say(&format!("puppet-lint doctor — {}", target.describe()));
    let timeouts = Timeouts {
        rpc: args.step_timeout,
        connect: args.step_timeout,
        login: args.login_timeout,
        ..Timeouts::default()
    };
    let walked =
        walk::walk(&target, WalkOptions { timeouts, first_event: true, recording: None }, doctor.as_ref()).await;
    if let Some(session) = &walked.session {
        session.unsubscribe();
    }
    started.stop().await;
    match walked.outcome {
        Ok(_) => {
            doctor.say(&look.paint("all good: the service answers and the bot is logged in", Paint::Green));
            Ok(())
        }
        Err((step, failure)) => Err(Error::Unreachable {
            message: format!("{step}: {failure}"),
            hint: failure.hint(),
            // Each step, the failed one with its hint, is on stdout already.
            shown: true,
        }),
    }
}

/// Renders the walk's steps on stdout.
struct Doctor {
    look: Look,
}

impl Doctor {
    fn say(&self, text: &str) {
        super::print_stdout(&format!("{}\n", crate::redact::redact(text)));
    }
}

impl Observer for Doctor {
    fn event(&self, event: RunEvent) {
        match event {
            RunEvent::SetupStep(step) => {
                let time = self.look.paint(&crate::clock::human(step.took), Paint::Dim);
                let name = step.step;
                match &step.outcome {
                    // What the service said (a version, a bot id) cannot drive the terminal.
                    Ok(detail) if step.skipped => {
                        let detail = crate::report::one_line(detail);
                        self.say(&format!("{} {name:<13} {detail}", self.look.paint("-", Paint::Dim)));
                    }
                    Ok(detail) => {
                        let detail = crate::report::one_line(detail);
                        self.say(&format!("{} {name:<13} {detail}  {time}", self.look.paint("✓", Paint::Green)));
                    }
                    Err((problem, hint)) => {
                        let problem = crate::report::one_line(problem);
                        self.say(&format!("{} {name:<13} {problem}  {time}", self.look.paint("✗", Paint::Red)));
                        self.say(&format!("  → {hint}"));
                    }
                }
            }
            // Scans, shown while the doctor waits for the login.
            RunEvent::Scan { status, qrcode } => {
                let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
                let draw = crate::report::look::draws_qr_codes(terminal);
                self.say(&crate::report::look::scan_lines(&status, qrcode.as_deref(), draw));
            }
            RunEvent::Phase(text) => {
                self.say(&format!("  {}", self.look.paint(&crate::report::one_line(&text), Paint::Dim)));
            }
            _ => {}
        }
    }
}
