//! Bindings generated from `build.rs` for the project's test schemas.
//! Warnings are errors here: generated code must be clean.
#![deny(warnings)]

/// `schema/tests/geometry.json`.
pub mod geometry {
    include!(concat!(env!("OUT_DIR"), "/geometry/qapi.rs"));
}

/// `schema/tests/names.json`: names that would break a naive generator.
pub mod names {
    include!(concat!(env!("OUT_DIR"), "/names/qapi.rs"));
}
