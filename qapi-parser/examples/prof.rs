//! Parses a schema repeatedly, for profiling (under `perf record` or
//! `valgrind --tool=callgrind`):
//! `cargo run --release -p qapi-schema-parser --example prof -- FILE [N]`.
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("schema path");
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    let t = std::time::Instant::now();
    for _ in 0..n {
        let _ = qapi_schema_parser::parse_file(&path).expect("valid");
    }
    println!("full: {:?}/iter", t.elapsed() / n as u32);
}
