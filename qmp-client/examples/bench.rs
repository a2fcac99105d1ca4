//! Client benchmark against a live qemu-storage-daemon, in one run: a
//! minimal raw loop (write one JSON line, read one line) as the floor,
//! the async client and the blocking client, sequential and with 16 calls
//! in flight. Reports calls per second and client CPU per call.
//!
//! The machine this runs on is noisy (a small VM), so the modes are
//! measured in several rounds, interleaved, in an order that rotates from
//! round to round; each figure is the median over the rounds.
//!
//! `cargo run --release -p qmp-client --example bench [CALLS [ROUNDS]]`
//! (CALLS per mode and round, default 5000; ROUNDS default 7).
//! `BENCH_ONLY=blocking` runs only the modes whose name contains the
//! text (for `strace` or `perf` on one mode).

use qmp_types::cmd;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// CPU time of this process (all threads, user and system), to the
/// nanosecond.
fn cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

struct Row {
    calls: usize,
    wall: Duration,
    cpu: Duration,
}

fn measure(calls: usize, f: impl FnOnce()) -> Row {
    let (c0, t0) = (cpu(), Instant::now());
    f();
    Row {
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
        .unwrap_or(5_000);
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
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(7);
    type Mode<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let modes: Vec<Mode<'_>> = vec![
        (
            "raw loop, sequential",
            Box::new(|| {
                let (mut rd, mut w) = raw_connect(&sock);
                let mut line = String::new();
                for _ in 0..calls {
                    w.write_all(REQUEST.as_bytes()).expect("write");
                    line.clear();
                    rd.read_line(&mut line).expect("read");
                }
            }),
        ),
        (
            "raw loop, 16 in flight",
            Box::new(|| {
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
            }),
        ),
        (
            "async client, sequential",
            Box::new(|| {
                rt.block_on(async {
                    let c = qmp_client::Client::connect_unix(&sock)
                        .await
                        .expect("connect");
                    for _ in 0..calls {
                        c.execute(&cmd::QueryVersion).await.expect("call");
                    }
                })
            }),
        ),
        (
            "async client, 16 in flight",
            Box::new(|| {
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
            }),
        ),
        (
            "blocking client, sequential",
            Box::new(|| {
                let mut c = qmp_client::blocking::Client::connect_unix(&sock).expect("connect");
                for _ in 0..calls {
                    c.execute(&cmd::QueryVersion).expect("call");
                }
            }),
        ),
    ];
    let only = std::env::var("BENCH_ONLY").ok();
    let modes: Vec<Mode<'_>> = modes
        .into_iter()
        .filter(|m| only.as_deref().is_none_or(|o| m.0.contains(o)))
        .collect();
    // Per mode: (calls/s, CPU seconds per call) of each round.
    let mut samples: Vec<Vec<(f64, f64)>> = vec![Vec::new(); modes.len()];
    // Round 0 warms up and is not counted.
    for round in 0..=rounds {
        for k in 0..modes.len() {
            let m = (k + round) % modes.len();
            let row = measure(calls, &modes[m].1);
            if round > 0 {
                samples[m].push((
                    row.calls as f64 / row.wall.as_secs_f64(),
                    row.cpu.as_secs_f64() / row.calls as f64,
                ));
            }
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let rows: Vec<(&str, f64, f64)> = modes
        .iter()
        .zip(&samples)
        .map(|((name, _), s)| {
            (
                *name,
                median(s.iter().map(|x| x.0).collect()),
                median(s.iter().map(|x| x.1).collect()),
            )
        })
        .collect();
    let _ = daemon.kill();
    let _ = daemon.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let floor = |pipelined: bool| {
        rows.iter()
            .find(|r| r.0.starts_with("raw") && r.0.contains("16") == pipelined)
            .map(|r| (r.1, r.2))
    };
    println!("{rounds} rounds of {calls} calls per mode; medians");
    println!();
    println!("| mode | calls/s | vs raw | client CPU per call | vs raw |");
    println!("| --- | --- | --- | --- | --- |");
    for &(name, rate, cpu) in &rows {
        let (fr, fc) = floor(name.contains("16")).unwrap_or((rate, cpu));
        println!(
            "| {} | {:.0} | {:.2}x | {:.1} µs | {:.2}x |",
            name,
            rate,
            rate / fr,
            cpu * 1e6,
            cpu / fc
        );
    }
}
