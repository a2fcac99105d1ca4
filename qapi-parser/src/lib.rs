//! The QAPI schema front end.
//!
//! Reads a QAPI schema (the language of QEMU's `qapi-schema.json`), checks
//! every rule QEMU enforces, and hands back a fully resolved [`Schema`]
//! (the IR the code generator works from) or [`Errors`] that render as
//! `path:line:col: error: message` with the include chain and a source
//! excerpt.
//!
//! ```no_run
//! let schema = qapi_schema_parser::parse_file("qapi/qapi-schema.json")?;
//! for (_, e) in schema.definitions() {
//!     println!("{} {}", e.kind.meta(), e.name);
//! }
//! # Ok::<(), qapi_schema_parser::Errors>(())
//! ```
//!
//! Checking happens in phases, like a compiler: syntax and directives,
//! then each definition on its own, then the schema as a whole. Every
//! independent error of the first phase that has errors is reported.

#![cfg_attr(docsrs, feature(doc_cfg))]

// pest_derive, built without its "std" feature, refers to `::alloc`.
extern crate alloc;

pub mod adopt;
mod check;
pub mod diag;
pub mod doc;
pub mod events_spec;
mod expr;
pub mod ir;
mod loader;
mod names;
pub mod profile;
mod schema;
pub mod source;
mod syntax;
pub mod wire;

pub use diag::{Diagnostic, Errors, Severity};
pub use ir::*;

use std::path::Path;

/// How to read a schema.
///
/// The rules applied are those of the QEMU release the schema belongs
/// to ([`profile`]): `qemu_version` when given, else the release in the
/// `VERSION` file of the source tree the root schema sits in, else the
/// newest release's (with a note saying so).
///
/// ```
/// let options = qapi_schema_parser::Options {
///     qemu_version: Some("6.1".parse()?),
///     ..Default::default()
/// };
/// # Ok::<(), qapi_schema_parser::profile::BadVersion>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Accept every construct any QEMU release had, for a schema of
    /// unknown age (see the README); overrides `qemu_version`.
    pub legacy: bool,
    /// The QEMU release whose rules apply.
    pub qemu_version: Option<profile::QemuVersion>,
    /// Parse the included files one after the other on the calling
    /// thread, instead of on worker threads. In a short-lived process
    /// (a command-line run, a `build.rs`) that is both less CPU and less
    /// time: starting threads and their allocator arenas costs more than
    /// parallel parsing saves on a schema of QEMU's size (measured for
    /// `qapi check`, see the README). In a long-lived process that reads
    /// many schemas, the threads win.
    pub sequential: bool,
}

impl Options {
    /// The rules that apply to the schema at `path` (see [`Options`]),
    /// and a note when no release was given or found.
    pub fn profile_for(&self, path: &Path) -> (profile::Profile, Option<Diagnostic>) {
        if self.legacy {
            return (profile::Profile::legacy(), None);
        }
        if let Some(v) = self.qemu_version {
            return (profile::Profile::of(v), None);
        }
        match profile::QemuVersion::of_tree(path) {
            Some(v) => (profile::Profile::of(v), None),
            None => {
                let p = profile::Profile::newest();
                let note = Diagnostic::note_unlocated(format!(
                    "no QEMU release given and no VERSION file above the schema: checked by {}",
                    p.name()
                ));
                (p, Some(note))
            }
        }
    }
}

/// Reads and checks the schema at `path` (and everything it includes).
pub fn parse_file(path: impl AsRef<Path>) -> Result<Schema, Errors> {
    parse_file_with(path, Options::default())
}

/// [`parse_file`] with options.
pub fn parse_file_with(path: impl AsRef<Path>, options: Options) -> Result<Schema, Errors> {
    let (profile, note) = options.profile_for(path.as_ref());
    finish(
        loader::load(path.as_ref(), profile, options.sequential),
        profile,
        note,
    )
}

/// Reads and checks schema text held in memory. `path` names it in
/// diagnostics, and `include`s are resolved relative to its directory.
pub fn parse_str(path: impl AsRef<Path>, text: &str, options: Options) -> Result<Schema, Errors> {
    let (profile, note) = options.profile_for(path.as_ref());
    finish(
        loader::load_str(path.as_ref(), text, profile, options.sequential),
        profile,
        note,
    )
}

/// Reads and checks the schema at `path`, then reads the legacy events
/// spec at `events_spec` (QEMU's `docs/qmp/qmp-events.txt`, up to 2.5),
/// merges its descriptions and examples into the schema's events
/// ([`Entity::events_spec`]) and cross-checks the two. The spec's
/// problems and every disagreement are warnings in
/// [`Schema::diagnostics`]; only a spec that cannot be read (missing,
/// not UTF-8, or nested too deeply) is an error.
pub fn parse_with_events_spec(
    path: impl AsRef<Path>,
    events_spec: impl AsRef<Path>,
    options: Options,
) -> Result<Schema, Errors> {
    let mut schema = parse_file_with(path, options)?;
    let spec_path = events_spec.as_ref();
    let text = match loader::read_text(spec_path) {
        Ok(text) => text,
        Err(e) => {
            let why = match e {
                loader::ReadError::Io(e) => e.to_string(),
                loader::ReadError::Other(_, message, _) => message,
            };
            return Err(Errors {
                diagnostics: vec![Diagnostic::error_unlocated(format!(
                    "cannot read events spec '{}': {why}",
                    spec_path.display()
                ))],
                sources: schema.sources,
            });
        }
    };
    let file = source::SourceFile::new(
        spec_path.to_path_buf(),
        spec_path.display().to_string(),
        text,
        None,
    );
    let id = schema.sources.add(file);
    let parsed = events_spec::parse(id, schema.sources.file(id));
    if parsed
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
    {
        return Err(Errors {
            diagnostics: parsed.diagnostics,
            sources: schema.sources,
        });
    }
    schema.diagnostics.extend(parsed.diagnostics);
    let found = events_spec::merge(&mut schema, parsed.events);
    schema.diagnostics.extend(found);
    Ok(schema)
}

fn finish(
    mut loaded: loader::Loaded,
    profile: profile::Profile,
    note: Option<Diagnostic>,
) -> Result<Schema, Errors> {
    let fail = |mut diagnostics: Vec<Diagnostic>, sources| {
        diagnostics.sort_by_key(|d| {
            (
                d.severity != Severity::Error,
                d.span.map(|s| (s.file, s.start)),
            )
        });
        Err(Errors {
            diagnostics,
            sources,
        })
    };
    if loaded.diags.iter().any(|d| d.severity == Severity::Error) {
        let diags = std::mem::take(&mut loaded.diags);
        return fail(diags, loaded.sources);
    }
    // Which rules applied, when no release said (after reading: a file
    // that cannot be read has nothing to do with rules).
    loaded.diags.extend(note);
    let exprs = std::mem::take(&mut loaded.exprs);
    let mut checker = expr::Checker {
        pragma: &loaded.pragma,
        profile,
        diags: Vec::new(),
        implied: Vec::new(),
        wrappers: Vec::new(),
        notes: Default::default(),
        nested: Default::default(),
        current: Default::default(),
    };
    let defs = checker.check_all(exprs);
    let diags = checker.diags;
    if diags.iter().any(|d| d.severity == Severity::Error) {
        let mut all = std::mem::take(&mut loaded.diags);
        all.extend(diags);
        return fail(all, loaded.sources);
    }
    loaded.diags.extend(diags);
    let (defs, notes) = check::unions::imply_string_tags(defs, profile);
    loaded.diags.extend(notes);
    match schema::build(loaded, defs, profile) {
        Ok(s) => Ok(s),
        Err((mut errors, loaded)) => {
            errors.extend(loaded.diags);
            fail(errors, loaded.sources)
        }
    }
}
