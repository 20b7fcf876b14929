//! One module per subcommand; each returns the process's exit code.

pub mod discover;
pub mod doctor;
pub mod list;
pub mod mock;
pub mod package;
pub mod registry;
pub mod report;
pub mod run;

use std::time::Duration;

use crate::error::Error;
use crate::mock::{Fault, MockOptions, MockServer};
use crate::target::{Address, Endpoint, ProcessEnv, Target, TargetFlags};

/// The target from flags and environment — or a fresh in-process mock.
pub async fn target_or_mock(
    flags: &TargetFlags,
    mock: bool,
    faults: &[Fault],
    heartbeat_interval: Duration,
) -> Result<(Target, Option<MockServer>), Error> {
    if !mock {
        let target = Target::resolve(flags, &ProcessEnv).map_err(|error| Error::Usage(error.0))?;
        return Ok((target, None));
    }
    let options = MockOptions { faults: faults.to_vec(), heartbeat_interval, ..MockOptions::default() };
    let server = MockServer::start(options).await.map_err(|error| Error::Output(error.to_string()))?;
    let target = Target {
        address: Address::Endpoint(Endpoint { host: server.address.ip().to_string(), port: server.address.port() }),
        token: Some(server.token.clone()),
        tls: None,
    };
    Ok((target, Some(server)))
}
