//! `cargo xtask bench-cli`: how long the `qmp` tool takes, as a person
//! and a script see it, against a `qemu-system-x86_64 -M pc -S` started
//! for the run: the shell from launch to its prompt (connected,
//! negotiated, the schema fetched for completion; measured as the whole
//! process with its input at end, which leaves at the prompt), and the
//! one-shot `qmp -s SOCK query-status`. QEMU's own `qmp-shell` (Python,
//! `pip install qemu.qmp`) is timed the same way when it is on the PATH.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The medians of one run.
#[derive(Debug)]
pub struct Figures {
    /// `qmp SOCK` with its input at end.
    pub shell: Duration,
    /// `qmp -s SOCK query-status`.
    pub one_shot: Duration,
    /// `qmp-shell SOCK` with its input at end, when installed.
    pub qmp_shell: Option<Duration>,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Wall time of `cmd`, which must succeed.
fn time(cmd: &mut Command) -> Result<Duration, String> {
    let start = Instant::now();
    let status = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    let took = start.elapsed();
    if !status.success() {
        return Err(format!("{cmd:?} failed: {status}"));
    }
    Ok(took)
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Starts QEMU, times `runs` of each, stops QEMU.
pub fn run(runs: usize) -> Result<Figures, String> {
    let qmp = crate::workspace().join("target/release/qmp");
    let built = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "qmp-cli"])
        .status()
        .map_err(|e| e.to_string())?;
    if !built.success() {
        return Err("cannot build qmp".into());
    }
    let dir = std::env::temp_dir().join(format!("qmp-bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let sock = dir.join("qmp.sock");
    let mut qemu = Command::new("qemu-system-x86_64")
        .args(test_support::system(
            "pc",
            &format!("unix:{}", sock.display()),
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
    let result = measure(&qmp, &sock, runs);
    let _ = qemu.kill();
    let _ = qemu.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(qmp: &Path, sock: &Path, runs: usize) -> Result<Figures, String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::os::unix::net::UnixStream::connect(sock).is_err() {
        if Instant::now() > deadline {
            return Err("QEMU did not listen".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // QEMU serves one client at a time: let it see the probe go.
    std::thread::sleep(Duration::from_millis(100));
    let (mut shell, mut one_shot, mut python) = (Vec::new(), Vec::new(), Vec::new());
    let qmp_shell = on_path("qmp-shell");
    // A warm-up round, not counted.
    for round in 0..=runs {
        let s = time(Command::new(qmp).arg(sock).env("QMP_HISTORY", "/dev/null"))?;
        let o = time(Command::new(qmp).arg("-s").arg(sock).arg("query-status"))?;
        if round > 0 {
            shell.push(s);
            one_shot.push(o);
        }
        if let Some(py) = &qmp_shell {
            let p = time(Command::new(py).arg(sock))?;
            if round > 0 {
                python.push(p);
            }
        }
    }
    Ok(Figures {
        shell: median(shell),
        one_shot: median(one_shot),
        qmp_shell: (!python.is_empty()).then(|| median(python)),
    })
}
