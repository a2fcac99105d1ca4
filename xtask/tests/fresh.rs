//! The committed bindings are what the pinned QEMU schema generates
//! (the `cargo xtask regen --check` of rust-analyzer's style): a change
//! to the generator without `cargo xtask regen` fails here.

use std::path::PathBuf;

#[test]
fn generated_code_is_fresh() {
    let src = match std::env::var_os("QAPI_QEMU_SRC") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_relative() {
                xtask::workspace().join(d)
            } else {
                d
            }
        }
        None if std::env::var_os("CI").is_some() => panic!("QAPI_QEMU_SRC must be set under CI"),
        None => {
            eprintln!("QAPI_QEMU_SRC is not set: skipping the freshness check");
            return;
        }
    };
    let rendered = xtask::render(&src, false).unwrap_or_else(|e| panic!("{e}"));
    let stale = xtask::stale(&rendered);
    assert!(
        stale.is_empty(),
        "run `cargo xtask regen`:\n{}",
        stale.join("\n")
    );
}
