//! The integration tests, one crate (as just and ripgrep have it): tonic, oxc
//! and jsonschema are linked once, not once per file. A module per subject;
//! `support` is what they share. `cargo test --test it cli::` runs one module.

mod support;

mod action;
mod architecture;
mod capabilities;
mod capability_matrix;
mod cli;
mod connection_causes;
mod discovery;
mod discovery_checks;
mod faults;
mod fleet;
mod fuzz;
mod fuzz_redaction;
mod hostile_http2;
mod hostile_reports;
mod hostile_text;
mod hostile_tls;
mod inert;
mod interop;
mod matrix;
mod misbehaviour;
mod mock;
mod mock_command;
mod package;
mod redact_forms;
mod registry;
mod rejudge;
mod report_formats;
mod report_html;
mod robustness;
mod selection;
mod suite_errors;
mod tls;
