//! puppet-lint: a conformance harness for Wechaty Puppet Services.

pub mod clock;
pub mod proto;
pub mod redact;
pub mod tls;
pub mod wire;
pub mod discovery;
pub mod session;
pub mod target;
