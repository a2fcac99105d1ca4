//! Times the phases of parsing the QMP schema (for profiling).
use qapi_parser::source::{FileId, SourceFile};
fn main() {
    let path = std::env::args().nth(1).expect("schema path");
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let schema = qapi_parser::parse_file(&path).expect("valid");
    let files: Vec<SourceFile> = schema.sources.files().to_vec();
    let t = std::time::Instant::now();
    for _ in 0..n {
        for f in &files {
            let _ = qapi_parser::syntax::parse_file(FileId(0), f).expect("valid");
        }
    }
    println!("syntax only: {:?}/iter", t.elapsed() / n as u32);
    let t = std::time::Instant::now();
    for _ in 0..n {
        let _ = qapi_parser::parse_file(&path).expect("valid");
    }
    println!("full: {:?}/iter", t.elapsed() / n as u32);
}
