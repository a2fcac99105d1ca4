//! What a server sends, as the clients read it: any bytes, in chunks of
//! any size, are assembled into lines (bounded), each routed by its head
//! (event, reply by id or by order, or nobody's) and a reply's value
//! decoded, never a panic, a hang or a stack overflow; one line per
//! newline; the scan used for lines that cannot be parsed agrees with the
//! parsed head. The first line is also tried as a greeting. The first
//! byte sets the chunk size and the line limit. Run with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run client_lines fuzz/seeds/client_lines`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qmp_client::fuzzing::{Routed, greeting, lines};
use qmp_types::BlockDeviceInfo;

fuzz_target!(|data: &[u8]| {
    let [setting, bytes @ ..] = data else {
        return;
    };
    let chunk = usize::from(setting & 0x3f) + 1;
    // Small limits too, so that over-limit lines are common.
    let max = if setting & 0x40 == 0 { 1 << 20 } else { 64 };
    let routed = lines::<Vec<BlockDeviceInfo>>(bytes, chunk, max);
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(routed.len(), newlines, "one line per newline");
    for line in &routed {
        if let Routed::Reply(_, Ok(nodes)) = line {
            let _ = format!("{nodes:?}");
        }
    }
    if let Some(first) = bytes.split(|&b| b == b'\n').next() {
        if let Ok(text) = std::str::from_utf8(first) {
            let _ = greeting(text.trim_end_matches('\r'));
        }
    }
});
