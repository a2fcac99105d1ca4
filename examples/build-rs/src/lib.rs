//! Bindings generated from `build.rs` for the project's test schemas.
//! Warnings are errors here: generated code must be clean.
#![deny(warnings)]

/// `schema/tests/geometry.json` (the generated code has a module per QAPI
/// module: `geo::geometry`, `geo::sub_colors`, with everything re-exported
/// at `geo::`).
pub mod geo {
    include!(concat!(env!("OUT_DIR"), "/geometry/qapi.rs"));
}

/// `schema/tests/names.json`: names that would break a naive generator.
pub mod tricky {
    include!(concat!(env!("OUT_DIR"), "/names/qapi.rs"));
}
