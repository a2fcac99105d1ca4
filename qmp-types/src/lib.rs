//! Typed Rust bindings for QEMU's QMP schema.
//!
//! Not generated yet: the generator (`qapi-codegen`) and the committed
//! bindings are the subject of the next milestone.
