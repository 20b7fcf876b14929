//! One module per subcommand, each wiring the rooms together for its job and
//! returning `Ok(())` or the [`Error`] that knows the exit code.

pub mod completions;
pub mod discover;
pub mod doctor;
pub mod list;
pub mod matrix;
pub mod mock;
pub mod package;
pub mod registry;
pub mod rejudge;
pub mod report;
pub mod run;

use std::io::Write as _;

use crate::config::{ProcessEnv, Target, TargetChoice};
use crate::error::Error;
use crate::mock::{MockOptions, MockServer};
use crate::registry::Registry;

/// The servers a run starts for itself, stopped when it ends.
#[derive(Default)]
pub struct Started {
    pub mock: Option<MockServer>,
    pub registry: Option<Registry>,
}

impl Started {
    pub async fn stop(self) {
        if let Some(mock) = self.mock {
            mock.shutdown().await;
        }
        if let Some(registry) = self.registry {
            registry.stop();
        }
    }
}

/// The live target of a choice: the given one, or one served by the mock or
/// found through the registry that this starts.
pub async fn start_target(choice: &TargetChoice) -> Result<(Option<Target>, Started), Error> {
    match choice {
        TargetChoice::Nothing => Ok((None, Started::default())),
        TargetChoice::Given(target) => Ok((Some(target.clone()), Started::default())),
        TargetChoice::Mock { faults, heartbeat_interval, flood_count, slow_delay } => {
            let options = MockOptions {
                faults: faults.clone(),
                heartbeat_interval: *heartbeat_interval,
                flood_count: *flood_count,
                slow_delay: *slow_delay,
                ..MockOptions::default()
            };
            let server = MockServer::start(options).await.map_err(|error| Error::Listen {
                what: "the built-in mock",
                address: "127.0.0.1:0".into(),
                reason: error.to_string(),
            })?;
            let target = Target::for_mock(server.address, &server.token);
            Ok((Some(target), Started { mock: Some(server), registry: None }))
        }
        TargetChoice::Registry { listen, flags } => {
            let options = crate::registry::Options { listen: *listen, ..crate::registry::Options::default() };
            let registry = Registry::start(options).await.map_err(|error| Error::Listen {
                what: "--registry",
                address: listen.to_string(),
                reason: error.to_string(),
            })?;
            let target = Target::via_registry(flags, &registry.url(), &ProcessEnv)?;
            Ok((Some(target), Started { mock: None, registry: Some(registry) }))
        }
    }
}

/// Standard output that a closed pipe (`| head`) does not turn into an error.
pub fn print_stdout(text: &str) {
    let text = crate::redact::redact(text);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
