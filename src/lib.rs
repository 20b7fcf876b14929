//! puppet-lint: a conformance harness for Wechaty Puppet Services.

pub mod baseline;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod discovery;
pub mod engine;
pub mod error;
pub mod exit;
pub mod mock;
pub mod output;
pub mod progress;
pub mod proto;
pub mod redact;
pub mod registry;
pub mod report;
pub mod run;
pub mod select;
pub mod session;
pub mod setup;
pub mod signal;
pub mod suite;
pub mod target;
pub mod tls;
pub mod wire;
