//! Client benchmark against a live qemu-storage-daemon, in one run: a
//! minimal raw loop (write one JSON line, read one line) as the floor,
//! the async client and the blocking client, sequential and with 16 calls
//! in flight. Reports calls per second and client CPU per call.
//!
//! Every mode runs twice: without and with out-of-band execution
//! negotiated. With it, QEMU moves the monitor's I/O to a thread of its
//! own, which changes what each call costs the client (its wake-ups come
//! from another thread); each client mode is compared with the raw loop
//! of the same kind. The clients negotiate out-of-band execution by
//! default when the server offers it.
//!
//! The machine this runs on is noisy (a small VM), so the modes are
//! measured in several rounds, interleaved, in a random order each round;
//! each figure is the median over the rounds, and each ratio to the raw
//! loop the median of the ratios within a round.
//!
//! The raw loop sends the very bytes the clients send: QEMU reads a
//! request one byte per `recvmsg`, so a call's cost grows with the
//! request's length, and a raw loop with a shorter line would measure the
//! server, not the client. By default every request carries an id (the
//! clients' default); with `BENCH_BY_ORDER=1` the clients match replies
//! by order (`Config::match_by_order`) and neither they nor the raw loop
//! send ids.
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

/// Whether the clients match replies by order (and nobody sends ids).
static BY_ORDER: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("BENCH_BY_ORDER").is_some());

/// The raw loop's request lines: the same bytes the clients send for
/// `query-version`, a new id each time unless replies go by order.
struct Requests {
    line: Vec<u8>,
    next_id: u64,
}

impl Requests {
    fn new() -> Self {
        Requests {
            line: Vec::with_capacity(64),
            next_id: 1,
        }
    }

    fn next(&mut self) -> &[u8] {
        self.line.clear();
        if *BY_ORDER {
            self.line
                .extend_from_slice(b"{\"execute\":\"query-version\"}\n");
        } else {
            let _ = writeln!(
                self.line,
                "{{\"execute\":\"query-version\",\"id\":{}}}",
                self.next_id
            );
            self.next_id += 1;
        }
        &self.line
    }
}

/// Connects and negotiates, with out-of-band execution or without.
fn raw_connect(sock: &Path, oob: bool) -> (BufReader<UnixStream>, UnixStream) {
    let s = UnixStream::connect(sock).expect("connect");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    let mut w = s;
    let mut line = String::new();
    r.read_line(&mut line).expect("greeting");
    let caps: &[u8] = if oob {
        b"{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}\n"
    } else {
        b"{\"execute\": \"qmp_capabilities\"}\n"
    };
    w.write_all(caps).expect("write");
    line.clear();
    r.read_line(&mut line).expect("capabilities");
    (r, w)
}

fn raw_sequential(sock: &Path, oob: bool, calls: usize) {
    let (mut rd, mut w) = raw_connect(sock, oob);
    let (mut line, mut requests) = (String::new(), Requests::new());
    for _ in 0..calls {
        w.write_all(requests.next()).expect("write");
        line.clear();
        rd.read_line(&mut line).expect("read");
    }
}

fn raw_pipelined(sock: &Path, oob: bool, calls: usize) {
    let (mut rd, mut w) = raw_connect(sock, oob);
    let (mut line, mut requests) = (String::new(), Requests::new());
    for _ in 0..16 {
        w.write_all(requests.next()).expect("write");
    }
    for i in 0..calls {
        line.clear();
        rd.read_line(&mut line).expect("read");
        if i + 16 < calls {
            w.write_all(requests.next()).expect("write");
        }
    }
}

fn config(oob: bool) -> qmp_client::Config {
    qmp_client::Config {
        oob,
        match_by_order: *BY_ORDER,
        ..Default::default()
    }
}

/// One task making one call after the other. (A task, as an async
/// program's work is: the future `block_on` drives directly is woken
/// differently, through the reactor, which costs an extra poll of it per
/// call.)
fn async_sequential(rt: &tokio::runtime::Runtime, sock: &Path, oob: bool, calls: usize) {
    let sock = sock.to_path_buf();
    rt.block_on(rt.spawn(async move {
        let c = qmp_client::Client::connect_unix_with(sock, config(oob))
            .await
            .expect("connect");
        for _ in 0..calls {
            c.execute(&cmd::QueryVersion).await.expect("call");
        }
    }))
    .expect("task")
}

fn async_pipelined(rt: &tokio::runtime::Runtime, sock: &Path, oob: bool, calls: usize) {
    rt.block_on(async {
        let c = qmp_client::Client::connect_unix_with(sock, config(oob))
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
}

fn blocking_sequential(sock: &Path, oob: bool, calls: usize) {
    let mut c: qmp_client::blocking::Client =
        qmp_client::blocking::Client::connect_unix_with(sock, config(oob)).expect("connect");
    for _ in 0..calls {
        c.execute(&cmd::QueryVersion).expect("call");
    }
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
    // Each client mode is compared with the raw loop that talks to the
    // server the same way: with out-of-band execution negotiated (as the
    // clients do by default when the server offers it, which moves
    // QEMU's monitor I/O to a thread of its own) or without.
    let sock = sock.as_path();
    let rt = &rt;
    let mut modes: Vec<Mode<'_>> = Vec::new();
    for oob in [false, true] {
        let tag = |name: &'static str| -> &'static str {
            match (name, oob) {
                ("raw seq", false) => "raw loop, sequential",
                ("raw seq", true) => "raw loop, sequential (OOB)",
                ("raw 16", false) => "raw loop, 16 in flight",
                ("raw 16", true) => "raw loop, 16 in flight (OOB)",
                ("async seq", false) => "async client, sequential",
                ("async seq", true) => "async client, sequential (OOB)",
                ("async 16", false) => "async client, 16 in flight",
                ("async 16", true) => "async client, 16 in flight (OOB)",
                ("blocking seq", false) => "blocking client, sequential",
                _ => "blocking client, sequential (OOB)",
            }
        };
        modes.push((
            tag("raw seq"),
            Box::new(move || raw_sequential(sock, oob, calls)),
        ));
        modes.push((
            tag("raw 16"),
            Box::new(move || raw_pipelined(sock, oob, calls)),
        ));
        modes.push((
            tag("async seq"),
            Box::new(move || async_sequential(rt, sock, oob, calls)),
        ));
        modes.push((
            tag("async 16"),
            Box::new(move || async_pipelined(rt, sock, oob, calls)),
        ));
        modes.push((
            tag("blocking seq"),
            Box::new(move || blocking_sequential(sock, oob, calls)),
        ));
    }
    let only = std::env::var("BENCH_ONLY").ok();
    let modes: Vec<Mode<'_>> = modes
        .into_iter()
        .filter(|m| only.as_deref().is_none_or(|o| m.0.contains(o)))
        .collect();
    // Per mode: (calls/s, CPU seconds per call) of each round.
    let mut samples: Vec<Vec<(f64, f64)>> = vec![Vec::new(); modes.len()];
    // Round 0 warms up and is not counted. Each round runs the modes in
    // a new random order (a fixed seed: runs are comparable), so that no
    // mode always follows the same other one: what a mode leaves behind
    // in the server or the VM (a pipelined burst, say) would otherwise
    // weigh on the same neighbour every round.
    let mut order: Vec<usize> = (0..modes.len()).collect();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..=rounds {
        for i in (1..order.len()).rev() {
            // xorshift64
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        for &m in &order {
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
    let _ = daemon.kill();
    let _ = daemon.wait();
    let _ = std::fs::remove_dir_all(&dir);
    // The raw loop in the same way of talking to the server.
    let floor = |name: &str| {
        modes.iter().position(|r| {
            r.0.starts_with("raw")
                && r.0.contains("16") == name.contains("16")
                && r.0.contains("OOB") == name.contains("OOB")
        })
    };
    // Each mode's figures, and its ratios to the raw loop taken round by
    // round (the two ran minutes apart at most, so the VM's drift over a
    // run cancels out), each the median over the rounds.
    let rows: Vec<(&str, f64, f64, f64, f64)> = modes
        .iter()
        .zip(&samples)
        .map(|((name, _), s)| {
            // (A mode left alone by `BENCH_ONLY` is its own floor.)
            let raw = floor(name).map_or(s, |i| &samples[i]);
            (
                *name,
                median(s.iter().map(|x| x.0).collect()),
                median(s.iter().zip(raw).map(|(x, r)| x.0 / r.0).collect()),
                median(s.iter().map(|x| x.1).collect()),
                median(s.iter().zip(raw).map(|(x, r)| x.1 / r.1).collect()),
            )
        })
        .collect();
    let ids = if *BY_ORDER {
        "replies matched by order, no ids"
    } else {
        "every request with an id"
    };
    println!("{rounds} rounds of {calls} calls per mode; medians; {ids}");
    println!();
    println!("| mode | calls/s | vs raw | client CPU per call | vs raw |");
    println!("| --- | --- | --- | --- | --- |");
    for &(name, rate, rate_ratio, cpu, cpu_ratio) in &rows {
        println!(
            "| {name} | {rate:.0} | {rate_ratio:.2}x | {:.1} µs | {cpu_ratio:.2}x |",
            cpu * 1e6,
        );
    }
}
