//! Any line decoded as an event message (`EventMessage<Events>`, as the
//! clients decode every event) gives an event or an error, never a panic
//! or a stack overflow, at any depth; what decodes encodes, and its
//! encoding decodes to the same encoding again (nothing a server sent is
//! lost or changed by a round trip). Run with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run event fuzz/seeds/event`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qmp_types::{EventMessage, Events, deep};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(message) = deep::from_str::<EventMessage<Events>>(text) else {
        return;
    };
    let once = deep::grow(|| serde_json::to_string(&message)).expect("a decoded event encodes");
    let again = deep::from_str::<EventMessage<Events>>(&once)
        .unwrap_or_else(|e| panic!("{once} does not decode again: {e}"));
    let twice = deep::grow(|| serde_json::to_string(&again)).expect("encodes");
    assert_eq!(once, twice, "a round trip changed the event");
});
