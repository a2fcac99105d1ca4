//! `cargo xtask bench-check`: what a user waits for when running
//! `qapi check` on QEMU's schemas, as whole processes: CPU (user + sys,
//! from the kernel's accounting of the waited-for child, so start-up,
//! reading, threads and exit all count) and wall time, median of N runs.
//!
//! QEMU's own front end (Python, `scripts/qapi-gen.py`) is the yardstick;
//! its scripts are not part of the release schemas here, so its figure
//! is the one given with the issue that set the target (440 to 530 ms
//! of CPU on this machine for 10.0.2's QMP schema).

use nix::sys::resource::{UsageWho, getrusage};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One schema's figures.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The schema checked.
    pub schema: PathBuf,
    /// CPU (user + sys) of each run.
    pub cpu: Vec<Duration>,
    /// Wall time of each run.
    pub wall: Vec<Duration>,
}

/// The median of `v`.
pub fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn children_cpu() -> Result<Duration, String> {
    let u = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    let t = |tv: nix::sys::time::TimeVal| {
        Duration::from_secs(tv.tv_sec().max(0) as u64)
            + Duration::from_micros(tv.tv_usec().max(0) as u64)
    };
    Ok(t(u.user_time()) + t(u.system_time()))
}

/// Builds the release `qapi` binary, then runs `qapi check` on each of
/// `schemas` `runs` times (the schemas in turn, so that the machine's
/// drift spreads over all of them).
pub fn run(schemas: &[PathBuf], runs: usize) -> Result<Vec<Figures>, String> {
    let root = crate::workspace();
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "qapi-bindgen",
            "--bin",
            "qapi",
        ])
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err("cargo build of the qapi binary failed".into());
    }
    let qapi = root.join("target/release/qapi");
    let mut figures: Vec<Figures> = schemas
        .iter()
        .map(|s| Figures {
            schema: s.clone(),
            cpu: Vec::new(),
            wall: Vec::new(),
        })
        .collect();
    for _ in 0..runs {
        for f in &mut figures {
            let (cpu, wall) = one(&qapi, &f.schema)?;
            f.cpu.push(cpu);
            f.wall.push(wall);
        }
    }
    Ok(figures)
}

fn one(qapi: &Path, schema: &Path) -> Result<(Duration, Duration), String> {
    let before = children_cpu()?;
    let start = Instant::now();
    let status = Command::new(qapi)
        .arg("check")
        .arg(schema)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("{}: {e}", qapi.display()))?;
    let wall = start.elapsed();
    if !status.success() {
        return Err(format!("qapi check {} failed", schema.display()));
    }
    Ok((children_cpu()? - before, wall))
}
