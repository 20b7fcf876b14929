//! Faults seen in the field: the puppet's login states judged over a whole recorded timeline ([`states`]) and the
//! shape of every event payload ([`shapes`], backed by the JSON Schema files in `schemas/events/`).

pub mod facts;
pub mod shapes;
pub mod states;
