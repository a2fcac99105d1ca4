//! A loop of calls for profiling: `blocking_loop SOCKET N [raw]`, with the
//! blocking client or (with `raw`) a bare write-a-line/read-a-line loop.
use std::io::{BufRead, BufReader, Write};
fn main() {
    let mut args = std::env::args().skip(1);
    let sock = args.next().expect("socket");
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    if args.next().as_deref() == Some("raw") {
        let s = std::os::unix::net::UnixStream::connect(sock).expect("connect");
        let mut r = BufReader::new(s.try_clone().expect("clone"));
        let mut w = s;
        let mut line = String::new();
        r.read_line(&mut line).expect("greeting");
        w.write_all(b"{\"execute\": \"qmp_capabilities\"}\n")
            .expect("write");
        r.read_line(&mut line).expect("reply");
        for _ in 0..n {
            w.write_all(b"{\"execute\": \"query-version\"}\n")
                .expect("write");
            line.clear();
            r.read_line(&mut line).expect("read");
        }
        return;
    }
    let mut c = qmp_client::blocking::Client::connect_unix(sock).expect("connect");
    for _ in 0..n {
        c.execute(&qmp_types::cmd::QueryVersion).expect("call");
    }
}
