//! puppet-lint: a conformance harness for Wechaty Puppet Services.
//!
//! The house reads one way (see ARCHITECTURE.md): `cli` (flags) → `config`
//! (a validated run, with `suite`) → `target` (discovery, TLS, transport) →
//! `session` (the gRPC session, its timeline, the connection walk) → `engine`
//! (checks and their actions) → `events` (the contract) → `report` (every
//! reader). `mock` and `registry` stand beside; `commands` wire it together.

pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod der;
pub mod engine;
pub mod error;
pub mod events;
pub mod exit;
pub mod input;
pub mod mock;
pub mod proto;
pub mod redact;
pub mod registry;
pub mod report;
pub mod session;
pub mod signal;
pub mod suite;
pub mod target;
pub mod vocab;
pub mod wire;
