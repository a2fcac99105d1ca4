//! Maintainer tasks: `cargo xtask <task>`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Maintainer tasks of the qmpkit workspace"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Regenerate qmp-types/src/generated from a QEMU source tree.
    Regen {
        /// The QEMU source tree.
        #[arg(long, env = "QAPI_QEMU_SRC")]
        qemu_src: PathBuf,
        /// Fail if the committed code is not what the tree generates.
        #[arg(long)]
        check: bool,
        /// Pin the bindings to this tree (schema/qemu.json) instead of
        /// checking the tree against the pin.
        #[arg(long, conflicts_with = "check")]
        update_pin: bool,
    },
    /// Record real QMP replies and events from a throwaway QEMU into
    /// qmp-types/benches/corpus.jsonl (the decode benchmark's input).
    CaptureCorpus,
    /// Record, from every release tree, when each type, command, event,
    /// member and enum value came and went (schema/history.json).
    History {
        /// The directory of QEMU trees named by version (../shared/qemu).
        #[arg(long, default_value = "../shared/qemu")]
        qemu_root: PathBuf,
        /// Fail if the committed history is not what the trees give.
        #[arg(long)]
        check: bool,
    },
    /// Write the fuzz targets' seeds (fuzz/seeds/) from the recorded
    /// corpus and from rich argument values.
    FuzzSeeds,
    /// Time rustc on qmp-types, and on the generated crate of the
    /// best-known existing bindings (qapi-qmp, from crates.io) in the same
    /// run.
    BenchCompile {
        /// Runs of each.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Time the `qmp` tool against a live QEMU: the shell to its prompt,
    /// and a one-shot command (and QEMU's qmp-shell, when installed).
    BenchCli {
        /// Runs of each.
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
    /// Time whole `qapi check` processes (CPU and wall, median) on QEMU's
    /// QMP schemas, against the CPU of QEMU's Python front end.
    BenchCheck {
        /// The directory of QEMU trees named by version.
        #[arg(long, default_value = "../shared/qemu")]
        qemu_root: PathBuf,
        /// The releases whose QMP schema is checked.
        #[arg(long, value_delimiter = ',', default_value = "10.0.2,10.2.2")]
        releases: Vec<String>,
        /// Runs of each.
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// Check QEMU's three schemas (QMP, guest agent, storage daemon) and
    /// print what each defines.
    Schemas {
        /// A QEMU source tree.
        #[arg(long, env = "QAPI_QEMU_SRC")]
        qemu_src: PathBuf,
    },
}

const SCHEMAS: [&str; 3] = [
    "qapi/qapi-schema.json",
    "qga/qapi-schema.json",
    "storage-daemon/qapi/qapi-schema.json",
];

fn main() -> ExitCode {
    // As cargo's RUSTC_WRAPPER for bench-compile.
    if let Some(code) = xtask::compile_bench::wrapper_mode() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    match Cli::parse().task {
        Task::BenchCli { runs } => match xtask::cli_bench::run(runs) {
            Ok(f) => {
                println!("| what | wall (median of {runs}) |");
                println!("| --- | --- |");
                println!(
                    "| `qmp SOCK` to its prompt (schema fetched) | {:.1} ms |",
                    f.shell.as_secs_f64() * 1e3
                );
                println!(
                    "| `qmp -s SOCK query-status` | {:.1} ms |",
                    f.one_shot.as_secs_f64() * 1e3
                );
                match f.qmp_shell {
                    Some(p) => println!(
                        "| `qmp-shell SOCK` (qemu.qmp) to its prompt | {:.1} ms |",
                        p.as_secs_f64() * 1e3
                    ),
                    None => println!("(qmp-shell is not on the PATH: pip install qemu.qmp)"),
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Task::BenchCompile { runs } => match xtask::compile_bench::run(runs) {
            Ok(timings) => {
                println!("| crate | min | median | runs |");
                println!("| --- | --- | --- | --- |");
                for t in &timings {
                    let runs: Vec<String> = t.runs.iter().map(|r| format!("{r:.2}")).collect();
                    println!(
                        "| {} | {:.2} s | {:.2} s | {} |",
                        t.name,
                        t.min(),
                        t.median(),
                        runs.join(", ")
                    );
                }
                if let [ours, theirs] = timings.as_slice() {
                    println!(
                        "\nqmp-types / qapi-qmp: {:.2}x (min), {:.2}x (median)",
                        ours.min() / theirs.min(),
                        ours.median() / theirs.median()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Task::Regen {
            qemu_src,
            check,
            update_pin,
        } => {
            let start = std::time::Instant::now();
            let (rendered, timings) = match xtask::render_timed(&qemu_src, update_pin) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let generated = start.elapsed();
            let timings: Vec<String> = timings
                .iter()
                .map(|t| {
                    format!(
                        "{}: front end {:.1?}, release facts {:.1?}, generator {:.1?}, {} members optional for older servers, {} removed commands and events kept",
                        t.schema, t.parse, t.facts, t.generate, t.optional, t.removed
                    )
                })
                .collect();
            let timings = timings.join("; ");
            if check {
                let stale = xtask::stale(&rendered);
                if !stale.is_empty() {
                    eprintln!("error: the generated code is stale (run `cargo xtask regen`):");
                    for s in stale {
                        eprintln!("  {s}");
                    }
                    return ExitCode::FAILURE;
                }
                eprintln!(
                    "generated code is fresh ({generated:.1?} to parse and generate, side by side: {timings})"
                );
                return ExitCode::SUCCESS;
            }
            if let Err(e) = xtask::write(&rendered) {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
            let files: usize = rendered.iter().map(|(_, f)| f.len()).sum();
            eprintln!(
                "wrote {files} files ({generated:.1?} to parse and generate, side by side: {timings})"
            );
            ExitCode::SUCCESS
        }
        Task::CaptureCorpus => match xtask::corpus::capture() {
            Ok(n) => {
                eprintln!("wrote {n} messages to qmp-types/benches/corpus.jsonl");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Task::History { qemu_root, check } => {
            let path = xtask::workspace().join("schema/history.json");
            let made = xtask::history::build(&qemu_root).and_then(|h| xtask::history::to_text(&h));
            match made {
                Ok(text) if check => {
                    if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
                        eprintln!("schema/history.json is fresh");
                        ExitCode::SUCCESS
                    } else {
                        eprintln!("schema/history.json is stale: run cargo xtask history");
                        ExitCode::FAILURE
                    }
                }
                Ok(text) => match std::fs::write(&path, text) {
                    Ok(()) => {
                        eprintln!("wrote {}", path.display());
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("error: {}: {e}", path.display());
                        ExitCode::FAILURE
                    }
                },
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Task::FuzzSeeds => match xtask::fuzz_seeds::write(&xtask::workspace()) {
            Ok(n) => {
                eprintln!("wrote {n} seeds under fuzz/seeds");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Task::BenchCheck {
            qemu_root,
            releases,
            runs,
        } => {
            let schemas: Vec<PathBuf> = releases
                .iter()
                .map(|r| qemu_root.join(r).join("qapi/qapi-schema.json"))
                .collect();
            match xtask::check_bench::run(&schemas, runs) {
                Ok(figures) => {
                    // QEMU 10.0.2's Python front end on this machine, as
                    // measured for the issue that set the target.
                    const PYTHON_MS: (f64, f64) = (440.0, 530.0);
                    println!("| schema | CPU (median) | wall (median) | vs QEMU's Python (CPU) |");
                    println!("| --- | --- | --- | --- |");
                    for f in &figures {
                        let cpu = xtask::check_bench::median(&f.cpu).as_secs_f64() * 1000.0;
                        let wall = xtask::check_bench::median(&f.wall).as_secs_f64() * 1000.0;
                        println!(
                            "| {} | {cpu:.1} ms | {wall:.1} ms | {:.3}x to {:.3}x |",
                            f.schema.display(),
                            cpu / PYTHON_MS.1,
                            cpu / PYTHON_MS.0
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Task::Schemas { qemu_src } => {
            let mut ok = true;
            for rel in SCHEMAS {
                let path = qemu_src.join(rel);
                let start = std::time::Instant::now();
                match qapi_schema_parser::parse_file(&path) {
                    Ok(schema) => {
                        println!("{} ({:.1?})", path.display(), start.elapsed());
                        for line in schema.stats().to_string().lines() {
                            println!("  {line}");
                        }
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        ok = false;
                    }
                }
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
