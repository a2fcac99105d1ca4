//! The QAPI schema front end.
pub mod diag;
pub mod source;
pub mod syntax;
pub mod doc;
