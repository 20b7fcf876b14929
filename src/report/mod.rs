//! Reports for people and for CI, all rendered from one [`model::Report`].

pub mod model;
