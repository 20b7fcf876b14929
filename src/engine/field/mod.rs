//! Faults seen in the field: the puppet's login states judged over a whole recorded timeline ([`states`]), the
//! shape of every event payload ([`shapes`], backed by the JSON Schema files in `schemas/events/`), what the payloads
//! say against what must be true ([`facts`]), the model of the account whose ids must resolve and whose
//! messages must have their conversation's shape ([`account`]: it asks the service, so it is judged live only), and
//! whether `ready` came once the contacts and rooms were synced ([`synced`]).

pub mod account;
pub mod facts;
pub mod shapes;
pub mod states;
pub mod synced;
