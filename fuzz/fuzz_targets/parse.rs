//! Any bytes given to the parser produce a schema or diagnostics, never a
//! panic, a hang or a stack overflow. Run with
//! `cargo fuzz run parse fuzz/seeds/parse` from the repository root (on
//! a stable toolchain: `RUSTC_BOOTSTRAP=1 cargo fuzz run parse ...`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for legacy in [false, true] {
        let options = qapi_schema_parser::Options { legacy, ..Default::default() };
        if let Err(errors) = qapi_schema_parser::parse_str("fuzz.json", &text, options) {
            let _ = errors.to_string();
        }
    }
});
