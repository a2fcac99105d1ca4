//! The by-name registry (how tools decode a command they know only by
//! name): any JSON given as the arguments or the return value of any
//! command decodes into the typed form or fails, never panics or
//! overflows the stack, and what decodes is stable: decoding the
//! re-encoded value gives it back. The first line says what the rest is:
//! `arguments NAME` or `returns NAME`; the seeds in `fuzz/seeds/registry`
//! hold real replies and rich arguments (`blockdev-add`, `transaction`,
//! ...), written by `cargo xtask fuzz-seeds`.
//! Run with `RUSTC_BOOTSTRAP=1 cargo fuzz run registry fuzz/seeds/registry`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qmp_types::{command_by_name, deep};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some((what, json)) = text.split_once('\n') else {
        return;
    };
    let (command, decode) = match what.split_once(' ') {
        Some(("arguments", name)) => match command_by_name(name) {
            Some(c) => (c, c.arguments),
            None => return,
        },
        Some(("returns", name)) => match command_by_name(name) {
            Some(c) => (c, c.returns),
            None => return,
        },
        _ => return,
    };
    let Ok(value) = deep::from_str::<Value>(json) else {
        return;
    };
    let Ok(once) = deep::grow(|| decode(&value)) else {
        return;
    };
    let twice = deep::grow(|| decode(&once))
        .unwrap_or_else(|e| panic!("{}: {once} does not decode again: {e}", command.name));
    assert_eq!(
        once, twice,
        "{}: a round trip changed the value",
        command.name
    );
    // Deep values are dropped recursively too.
    deep::grow(move || drop((value, once, twice)));
});
