//! The `qapi` binary as a person runs it.

use std::process::Command;

/// The input that made `qapi check` exit 101 (a panic in the diagnostic
/// renderer): eight tabs, a wide character, a tab, and 44 more wide
/// characters. It must fail as a bad schema does: exit code 1 and
/// diagnostics with their carets.
#[test]
fn qapi_check_on_tabs_and_wide_characters_reports_without_panicking() {
    let dir = std::env::temp_dir().join(format!("qapi-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("wide.json");
    let text = format!("{}漢\tx{}xx", "\t".repeat(8), "漢".repeat(44));
    std::fs::write(&file, text).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_qapi"))
        .arg("check")
        .arg(&file)
        .output()
        .expect("run qapi");
    let stderr = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("wide.json:1:9: error"), "{stderr}");
    assert!(stderr.contains('^'), "{stderr}");
}
