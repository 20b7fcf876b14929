//! What travels on the wire, decoded defensively: event kinds and payloads,
//! message types, FileBox JSON and gRPC statuses. Nothing here trusts a peer:
//! every decoder returns a finding instead of panicking.

pub mod event;
pub mod filebox;
pub mod message;
pub mod rpc;
pub mod schema;
pub mod status;

pub use event::{EventKind, LONG_STRING, PayloadProblem, ScanStatus, cut_long, decode_payload, parse_cut};
pub use filebox::FileBox;
pub use message::MessageKind;
pub use rpc::Rpc;
pub use status::describe_status;
