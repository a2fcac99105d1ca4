//! Maintainer tasks: `cargo xtask <task>`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Maintainer tasks of the qapi-rs workspace"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Check QEMU's three schemas (QMP, guest agent, storage daemon) and
    /// print what each defines.
    Schemas {
        /// A QEMU source tree (default: $QAPI_QEMU_SRC).
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
    match Cli::parse().task {
        Task::Schemas { qemu_src } => {
            let mut ok = true;
            for rel in SCHEMAS {
                let path = qemu_src.join(rel);
                let start = std::time::Instant::now();
                match qapi_parser::parse_file(&path) {
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
