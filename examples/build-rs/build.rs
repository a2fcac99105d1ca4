//! Generates bindings for the project's test schemas: the way a crate
//! with a QAPI schema of its own uses `qapi-bindgen`.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let schemas = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/tests");
    for name in ["geometry", "names"] {
        qapi_bindgen::Config::new()
            .schema(schemas.join(format!("{name}.json")))
            .out_dir(out.join(name))
            .generate()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    println!("cargo::rerun-if-changed=../../schema/tests");
}
