//! QAPI schema to Rust code generator (the `qapi` command-line tool lives
//! here too).
