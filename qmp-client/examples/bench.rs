//! Client benchmark against a live qemu-storage-daemon, in one run: a
//! minimal raw loop (write one JSON line, read one line) as the floor,
//! the async client and the blocking client, sequential and with 16 calls
//! in flight. Reports calls per second and client CPU per call.
//!
//! `cargo run --release -p qmp-client --example bench [CALLS]`

use qmp_types::cmd;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// CPU time of this process (all threads), from /proc/self/stat.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12
    // after the state field (which does not parse as a number).
    let ticks = f.get(10).copied().unwrap_or(0) + f.get(11).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

struct Row {
    name: &'static str,
    calls: usize,
    wall: Duration,
    cpu: Duration,
}

fn measure(name: &'static str, calls: usize, f: impl FnOnce()) -> Row {
    let (c0, t0) = (cpu(), Instant::now());
    f();
    Row {
        name,
        calls,
        wall: t0.elapsed(),
        cpu: cpu().saturating_sub(c0),
    }
}

const REQUEST: &str = "{\"execute\": \"query-version\"}\n";

fn raw_connect(sock: &Path) -> (BufReader<UnixStream>, UnixStream) {
    let s = UnixStream::connect(sock).expect("connect");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    let mut w = s;
    let mut line = String::new();
    r.read_line(&mut line).expect("greeting");
    w.write_all(b"{\"execute\": \"qmp_capabilities\"}\n")
        .expect("write");
    line.clear();
    r.read_line(&mut line).expect("capabilities");
    (r, w)
}

fn main() {
    let calls: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("qmp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sock = dir.join("qmp.sock");
    let mut daemon = std::process::Command::new("qemu-storage-daemon")
        .arg("--chardev")
        .arg(format!(
            "socket,path={},server=on,wait=off,id=qmp",
            sock.display()
        ))
        .args(["--monitor", "chardev=qmp"])
        .spawn()
        .expect("qemu-storage-daemon");
    while !sock.exists() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut rows = Vec::new();
    for round in 0..2 {
        // The first round warms up; the second is reported.
        let mut r = Vec::new();
        r.push(measure("raw loop, sequential", calls, || {
            let (mut rd, mut w) = raw_connect(&sock);
            let mut line = String::new();
            for _ in 0..calls {
                w.write_all(REQUEST.as_bytes()).expect("write");
                line.clear();
                rd.read_line(&mut line).expect("read");
            }
        }));
        r.push(measure("raw loop, 16 in flight", calls, || {
            let (mut rd, mut w) = raw_connect(&sock);
            let mut line = String::new();
            for _ in 0..16 {
                w.write_all(REQUEST.as_bytes()).expect("write");
            }
            for i in 0..calls {
                line.clear();
                rd.read_line(&mut line).expect("read");
                if i + 16 < calls {
                    w.write_all(REQUEST.as_bytes()).expect("write");
                }
            }
        }));
        r.push(measure("async client, sequential", calls, || {
            rt.block_on(async {
                let c = qmp_client::Client::connect_unix(&sock)
                    .await
                    .expect("connect");
                for _ in 0..calls {
                    c.execute(&cmd::QueryVersion).await.expect("call");
                }
            })
        }));
        r.push(measure("async client, 16 in flight", calls, || {
            rt.block_on(async {
                let c = qmp_client::Client::connect_unix(&sock)
                    .await
                    .expect("connect");
                let tasks: Vec<_> = (0..16)
                    .map(|_| {
                        let c = c.clone();
                        tokio::spawn(async move {
                            for _ in 0..calls / 16 {
                                c.execute(&cmd::QueryVersion).await.expect("call");
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task");
                }
            })
        }));
        r.push(measure("blocking client, sequential", calls, || {
            let mut c = qmp_client::blocking::Client::connect_unix(&sock).expect("connect");
            for _ in 0..calls {
                c.execute(&cmd::QueryVersion).expect("call");
            }
        }));
        if round == 1 {
            rows = r;
        }
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let floor = |pipelined: bool| {
        rows.iter()
            .find(|r| r.name.starts_with("raw") && r.name.contains("16") == pipelined)
            .map(|r| {
                (
                    r.calls as f64 / r.wall.as_secs_f64(),
                    r.cpu.as_secs_f64() / r.calls as f64,
                )
            })
    };
    println!("| mode | calls/s | vs raw | client CPU per call | vs raw |");
    println!("| --- | --- | --- | --- | --- |");
    for r in &rows {
        let rate = r.calls as f64 / r.wall.as_secs_f64();
        let cpu = r.cpu.as_secs_f64() / r.calls as f64;
        let (fr, fc) = floor(r.name.contains("16")).unwrap_or((rate, cpu));
        println!(
            "| {} | {:.0} | {:.2}x | {:.1} µs | {:.2}x |",
            r.name,
            rate,
            rate / fr,
            cpu * 1e6,
            cpu / fc
        );
    }
}
