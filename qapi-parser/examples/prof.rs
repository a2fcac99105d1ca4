//! Parses a schema repeatedly, for profiling:
//! `cargo run --release -p qapi-schema-parser --example prof -- FILE [N] [syntax]`.
use qapi_schema_parser::source::{FileId, SourceFile};
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("schema path");
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    let syntax_only = args.next().is_some_and(|a| a == "syntax");
    let t = std::time::Instant::now();
    if syntax_only {
        let schema = qapi_schema_parser::parse_file(&path).expect("valid");
        let files: Vec<SourceFile> = schema.sources.files().to_vec();
        let t = std::time::Instant::now();
        for _ in 0..n {
            for f in &files {
                let _ = qapi_schema_parser::syntax::parse_file(FileId(0), f).expect("valid");
            }
        }
        println!("syntax only: {:?}/iter", t.elapsed() / n as u32);
        return;
    }
    for _ in 0..n {
        let _ = qapi_schema_parser::parse_file(&path).expect("valid");
    }
    println!("full: {:?}/iter", t.elapsed() / n as u32);
}
