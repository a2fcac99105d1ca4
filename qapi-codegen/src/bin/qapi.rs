//! `qapi`: check, inspect and (later) generate code from QAPI schemas.

// Beside this file, not in src/bin/ (where cargo would take it for a binary).
#[path = "qapi/diff.rs"]
mod diff;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "qapi", version, about = "Check and inspect QAPI schemas")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check a schema: exit 0 when it is valid, 1 with diagnostics on stderr.
    Check {
        /// The root schema file.
        file: PathBuf,
        /// Accept every construct any QEMU release had (a schema of
        /// unknown age).
        #[arg(long)]
        legacy: bool,
        /// Apply the rules of this QEMU release (default: the release in
        /// the VERSION file of the schema's source tree).
        #[arg(long, value_name = "VERSION")]
        qemu_version: Option<qapi_schema_parser::profile::QemuVersion>,
        /// Also read the legacy events spec (`docs/qmp/qmp-events.txt`,
        /// QEMU up to 2.5) and cross-check it with the schema.
        #[arg(long, value_name = "FILE")]
        events_spec: Option<PathBuf>,
    },
    /// Generate Rust bindings for a schema.
    Generate {
        /// The root schema file.
        file: PathBuf,
        /// The output directory.
        #[arg(short, long)]
        out: PathBuf,
        /// One file per QAPI module (mod.rs and the modules) instead of one
        /// qapi.rs.
        #[arg(long)]
        per_module: bool,
        /// The path of the runtime crate.
        #[arg(long, default_value = "::qmp_types")]
        runtime: String,
        /// Accept every construct any QEMU release had (a schema of
        /// unknown age).
        #[arg(long)]
        legacy: bool,
        /// Apply the rules of this QEMU release (default: the release in
        /// the VERSION file of the schema's source tree).
        #[arg(long, value_name = "VERSION")]
        qemu_version: Option<qapi_schema_parser::profile::QemuVersion>,
    },
    /// Compare two schemas by what travels on the wire, per command and
    /// event: exit 0 when nothing a client could break on changed, 1
    /// when something did, 2 when an input cannot be read.
    Diff {
        /// The old schema: a QEMU source tree, a root schema file, or a
        /// saved `query-qmp-schema` reply (JSON).
        old: PathBuf,
        /// The new schema, the same ways.
        new: PathBuf,
        /// Print the changes as JSON (one object per change).
        #[arg(long)]
        json: bool,
    },
    /// Print the checked schema (the IR) as JSON, or counts with --stats.
    Dump {
        /// The root schema file.
        file: PathBuf,
        /// Print `kind: count` lines instead of the IR.
        #[arg(long)]
        stats: bool,
        /// Accept every construct any QEMU release had (a schema of
        /// unknown age).
        #[arg(long)]
        legacy: bool,
        /// Apply the rules of this QEMU release (default: the release in
        /// the VERSION file of the schema's source tree).
        #[arg(long, value_name = "VERSION")]
        qemu_version: Option<qapi_schema_parser::profile::QemuVersion>,
        /// Merge the legacy events spec's descriptions and examples into
        /// the events (see `check --events-spec`).
        #[arg(long, value_name = "FILE")]
        events_spec: Option<PathBuf>,
    },
}

// A run allocates tens of thousands of small objects and ends: mimalloc
// serves them with a fifth less CPU than glibc's allocator, most of it
// page faults (measured with `perf stat`, README "Parsing").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Cmd::Generate {
        file,
        out,
        per_module,
        runtime,
        legacy,
        qemu_version,
    } = &cli.command
    {
        let mut cfg = qapi_bindgen::Config::new();
        cfg.schema(file)
            .out_dir(out)
            .runtime_crate(runtime.clone())
            .legacy(*legacy);
        if let Some(v) = qemu_version {
            cfg.qemu_version(*v);
        }
        cfg.generated_by(format!("`qapi generate {}`", file.display()));
        if *per_module {
            cfg.layout(qapi_bindgen::Layout::FilePerModule);
        }
        return match cfg.generate() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Cmd::Diff { old, new, json } = &cli.command {
        return diff::run(old, new, *json);
    }
    let (file, legacy, qemu_version, events_spec) = match &cli.command {
        Cmd::Check {
            file,
            legacy,
            qemu_version,
            events_spec,
        }
        | Cmd::Dump {
            file,
            legacy,
            qemu_version,
            events_spec,
            ..
        } => (file, *legacy, *qemu_version, events_spec),
        Cmd::Generate { .. } | Cmd::Diff { .. } => return ExitCode::SUCCESS,
    };
    let options = qapi_schema_parser::Options {
        legacy,
        qemu_version,
        // A process that reads one schema and ends: see Options::sequential.
        sequential: true,
    };
    // Say whose rules apply (without a release, a note in the
    // diagnostics says so).
    let (profile, unknown) = options.profile_for(file);
    if matches!(cli.command, Cmd::Check { .. }) && unknown.is_none() {
        eprintln!("{}: checked by {}", file.display(), profile.name());
    }
    let parsed = match events_spec {
        Some(spec) => qapi_schema_parser::parse_with_events_spec(file, spec, options),
        None => qapi_schema_parser::parse_file_with(file, options),
    };
    let schema = match parsed {
        Ok(s) => s,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::FAILURE;
        }
    };
    for d in &schema.diagnostics {
        eprint!("{}", d.render(&schema.sources));
    }
    match cli.command {
        Cmd::Check { .. } | Cmd::Generate { .. } | Cmd::Diff { .. } => {}
        Cmd::Dump { stats: true, .. } => print!("{}", schema.stats()),
        Cmd::Dump { .. } => match serde_json::to_string_pretty(&schema) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("error: cannot serialise the schema: {e}");
                return ExitCode::FAILURE;
            }
        },
    }
    // The process ends here: freeing the schema's many small allocations
    // one by one would cost a fifth of the run's CPU for memory the
    // system takes back at once.
    std::mem::forget(schema);
    ExitCode::SUCCESS
}
