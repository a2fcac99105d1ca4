//! `cargo xtask bench-compile`: how long rustc takes to compile
//! `qmp-types`, measured in the same run as the generated crate of the
//! best-known existing bindings (`qapi-qmp` from crates.io, QEMU 9.1's
//! schema), so that the comparison holds on whatever machine runs it.
//!
//! The time is that of the rustc process compiling the library itself
//! (not its dependencies, not a build script): xtask runs as cargo's
//! `RUSTC_WRAPPER`, times the one invocation whose `--crate-name` it is
//! asked about, and appends the seconds to a file. Debug profile,
//! non-incremental, as a clean `cargo build` does it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The version of `qapi-qmp` compared against.
const REFERENCE: &str = "qapi-qmp = \"=0.15.0\"";

/// Environment variables of the wrapper mode.
const CRATE_VAR: &str = "XTASK_TIME_CRATE";
const OUT_VAR: &str = "XTASK_TIME_OUT";

/// When xtask runs as `RUSTC_WRAPPER` (argv: xtask RUSTC ARGS...): runs
/// rustc, and records its time if it compiles the crate asked about.
/// Returns `None` when not in wrapper mode.
pub fn wrapper_mode() -> Option<i32> {
    let krate = std::env::var(CRATE_VAR).ok()?;
    let mut args = std::env::args_os().skip(1);
    let rustc = args.next()?;
    let args: Vec<_> = args.collect();
    let timed = args
        .windows(2)
        .any(|w| w[0] == "--crate-name" && w[1] == krate.as_str())
        && !args.iter().any(|a| a == "build_script_build");
    let start = Instant::now();
    let status = Command::new(rustc).args(&args).status();
    let secs = start.elapsed().as_secs_f64();
    let code = match status {
        Ok(s) => s.code().unwrap_or(1),
        Err(e) => {
            eprintln!("xtask (rustc wrapper): cannot run rustc: {e}");
            1
        }
    };
    if let (true, 0, Ok(out)) = (timed, code, std::env::var(OUT_VAR)) {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out)
        {
            let _ = writeln!(f, "{secs:.3}");
        }
    }
    Some(code)
}

/// Times of one crate over the runs.
pub struct Timings {
    /// What was compiled.
    pub name: String,
    /// Seconds of each run.
    pub runs: Vec<f64>,
}

impl Timings {
    /// The smallest time (the least disturbed run).
    pub fn min(&self) -> f64 {
        self.runs.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The median time.
    pub fn median(&self) -> f64 {
        let mut v = self.runs.clone();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs cargo in `cwd` with `args`, under the timing wrapper for
/// `krate` (every build goes through the wrapper, so that cargo's
/// fingerprints stay the same between runs); returns whether it worked.
fn build(cwd: &Path, args: &[&str], krate: &str, dir: &Path) -> Result<bool, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let status = cargo()
        .current_dir(cwd)
        .args(args)
        .env("RUSTC_WRAPPER", exe)
        .env(CRATE_VAR, krate)
        .env(OUT_VAR, dir.join("time.txt"))
        .env("CARGO_INCREMENTAL", "0")
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    Ok(status.success())
}

/// Builds under the wrapper and returns the time of `krate`.
fn timed_build(cwd: &Path, args: &[&str], krate: &str, dir: &Path) -> Result<f64, String> {
    let out = dir.join("time.txt");
    let _ = std::fs::remove_file(&out);
    if !build(cwd, args, krate, dir)? {
        return Err(format!("building {krate} failed"));
    }
    let text = std::fs::read_to_string(&out)
        .map_err(|_| format!("{krate} was not compiled (was it already up to date?)"))?;
    text.lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| format!("no time recorded for {krate}"))
}

/// Measures `qmp-types` and, when it can be fetched, `qapi-qmp`,
/// alternating, `runs` times each.
pub fn run(runs: usize) -> Result<Vec<Timings>, String> {
    let ws = crate::workspace();
    let dir = ws.join("target/compile-bench");
    let probe = dir.join("reference");
    std::fs::create_dir_all(probe.join("src")).map_err(|e| e.to_string())?;
    std::fs::write(
        probe.join("Cargo.toml"),
        format!(
            "[package]\nname = \"reference-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\n{REFERENCE}\n\n[workspace]\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(probe.join("src/lib.rs"), "pub use qapi_qmp;\n").map_err(|e| e.to_string())?;

    // Dependencies first (not measured).
    eprintln!("building dependencies...");
    const OURS: [&str; 4] = ["build", "-q", "-p", "qmp-types"];
    if !build(&ws, &OURS, "none", &dir)? {
        return Err("cannot build qmp-types".into());
    }
    let reference_ok = build(&probe, &["build", "-q"], "none", &dir)?;
    if !reference_ok {
        eprintln!(
            "note: {REFERENCE} could not be built (no crates.io?): measuring qmp-types alone"
        );
    }

    let lib = ws.join("qmp-types/src/lib.rs");
    let mut ours = Timings {
        name: format!("qmp-types (QMP and QGA, QEMU {})", crate::pinned_version()),
        runs: Vec::new(),
    };
    let mut theirs = Timings {
        name: "qapi-qmp 0.15.0 (QMP, QEMU 9.1)".into(),
        runs: Vec::new(),
    };
    for i in 0..runs {
        touch(&lib)?;
        let t = timed_build(&ws, &OURS, "qmp_types", &dir)?;
        eprintln!("run {}: qmp-types {t:.2} s", i + 1);
        ours.runs.push(t);
        if reference_ok {
            let status = cargo()
                .current_dir(&probe)
                .args(["clean", "-q", "-p", "qapi-qmp"])
                .env("CARGO_TARGET_DIR", dir.join("target"))
                .status()
                .map_err(|e| e.to_string())?;
            if !status.success() {
                return Err("cargo clean -p qapi-qmp failed".into());
            }
            let t = timed_build(&probe, &["build", "-q"], "qapi_qmp", &dir)?;
            eprintln!("run {}: qapi-qmp {t:.2} s", i + 1);
            theirs.runs.push(t);
        }
    }
    let mut out = vec![ours];
    if reference_ok {
        out.push(theirs);
    }
    Ok(out)
}

fn touch(path: &PathBuf) -> Result<(), String> {
    let f = std::fs::File::options()
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.set_modified(std::time::SystemTime::now())
        .map_err(|e| format!("{}: {e}", path.display()))
}
