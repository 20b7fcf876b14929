//! puppet-lint: a conformance harness for Wechaty Puppet Services.

pub mod clock;
pub mod discovery;
pub mod engine;
pub mod mock;
pub mod proto;
pub mod redact;
pub mod report;
pub mod run;
pub mod session;
pub mod setup;
pub mod signal;
pub mod suite;
pub mod target;
pub mod tls;
pub mod wire;
