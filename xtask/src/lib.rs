//! Maintainer tasks, as a library so that tests can run them too.
//!
//! `regen` generates `qmp-types/src/generated/` from a QEMU source tree,
//! after checking that the tree is the one `schema/qemu.json` pins
//! (version and the SHA-256 of every schema file read).

pub mod check_bench;
pub mod cli_bench;
pub mod cli_docs;
pub mod compile_bench;
pub mod corpus;
pub mod fuzz_seeds;
pub mod history;
pub mod removed;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The pin: which QEMU the committed bindings come from.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Pin {
    /// QEMU's version (its `VERSION` file).
    pub version: String,
    /// The SHA-256 of every schema file, by path relative to the tree.
    pub files: BTreeMap<String, String>,
}

/// One schema the bindings are generated from.
pub struct Target {
    /// Its name in `schema/history.json`.
    pub name: &'static str,
    /// Root schema file, relative to the QEMU tree.
    pub schema: &'static str,
    /// Output directory, relative to the workspace.
    pub out: &'static str,
}

/// QEMU's QMP schema and its guest-agent schema.
pub const TARGETS: [Target; 2] = [
    Target {
        name: "qmp",
        schema: "qapi/qapi-schema.json",
        out: "qmp-types/src/generated/qmp",
    },
    Target {
        name: "qga",
        schema: "qga/qapi-schema.json",
        out: "qmp-types/src/generated/qga",
    },
];

/// Types that became unions in a later release, whose older servers send
/// the members without the discriminator: `(target, union, the branch
/// they meant, since when there is a tag)`. The one place that lists
/// them.
const DEFAULT_BRANCHES: [(&str, &str, &str, &str); 1] = [
    // 9.1 made SevInfo a union on 'sev-type' (adding SEV-SNP); a 7.2
    // server's query-sev has SEV's members and no tag.
    ("qmp", "SevInfo", "sev", "QEMU before 9.1"),
];

/// Names `qmp-types` puts beside the generated types.
const RUNTIME_NAMES: [&str; 15] = [
    "Command",
    "CommandDescriptor",
    "Empty",
    "Event",
    "EventDescriptor",
    "EventIn",
    "EventMessage",
    "EventSet",
    "Timestamp",
    "de",
    "roundtrip",
    "QmpError",
    "qga",
    "serde",
    "serde_json",
];

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The QEMU release the bindings are pinned to (`schema/qemu.json`), or
/// `?` when the pin cannot be read.
pub fn pinned_version() -> String {
    std::fs::read_to_string(workspace().join("schema/qemu.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Pin>(&t).ok())
        .map_or_else(|| "?".to_string(), |p| p.version)
}

/// What regen found wrong, or could not do.
pub type Error = String;

fn sha256(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(sha256_bytes(&bytes))
}

fn sha256_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The SHA-256 of each file `schema` was read from, by its path relative
/// to the QEMU tree `tree` (added to `files`): what the pin and the
/// history's digests are made of.
fn hash_files(
    schema: &qapi_schema_parser::Schema,
    tree: &Path,
    files: &mut BTreeMap<String, String>,
) -> Result<(), Error> {
    for f in schema.sources.files() {
        let rel = f.path.strip_prefix(tree).unwrap_or(&f.path);
        files.insert(qapi_schema_parser_normalize(rel), sha256(&f.path)?);
    }
    Ok(())
}

/// The digest of a release's schema files, as `schema/history.json`
/// records it: over the sorted `path hash` lines.
fn files_digest(files: &BTreeMap<String, String>) -> String {
    let lines: String = files.iter().map(|(p, h)| format!("{p} {h}\n")).collect();
    sha256_bytes(lines.as_bytes())
}

/// What `schema/history.json` says, the index of the pinned release in
/// it, and the digest of the release's files it was made from (checked
/// once the files are read).
type PinHistory = (history::History, usize, String);

fn history_for_pin(version: &str) -> Result<PinHistory, Error> {
    let path = workspace().join("schema/history.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let h: history::History =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let pin = h
        .releases
        .iter()
        .position(|r| r == version)
        .ok_or_else(|| {
            format!(
                "{} has no QEMU {version} (run cargo xtask history)",
                path.display()
            )
        })?;
    let digest = h.digests.get(version).cloned().unwrap_or_default();
    Ok((h, pin, digest))
}

/// What one target's schema took: the front end (parse and check) and the
/// generator (rendering every file).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// The schema's path in the QEMU tree.
    pub schema: &'static str,
    /// `qapi_schema_parser::parse_file`.
    pub parse: std::time::Duration,
    /// Taking in the removed commands and events and working out the
    /// release facts (optional members, first releases) from the history.
    pub facts: std::time::Duration,
    /// `qapi_bindgen::Config::render_schema`.
    pub generate: std::time::Duration,
    /// How many members the pinned release requires that are generated
    /// optional, for the servers from the floor release on.
    pub optional: usize,
    /// How many commands and events QEMU removed since the floor release
    /// are generated from the last release that had them.
    pub removed: usize,
}

/// The files of each target, as rendered.
pub type Rendered = Vec<(PathBuf, Vec<qapi_bindgen::GeneratedFile>)>;

/// Parses the targets' schemas in `qemu_src`, checks them against the pin
/// (or writes a new pin when `update_pin`), and renders the bindings.
/// Returns the files per target.
pub fn render(qemu_src: &Path, update_pin: bool) -> Result<Rendered, Error> {
    render_timed(qemu_src, update_pin).map(|(rendered, _)| rendered)
}

/// [`render`], with what each target's front end and generator took (the
/// targets run side by side).
pub fn render_timed(qemu_src: &Path, update_pin: bool) -> Result<(Rendered, Vec<Timing>), Error> {
    let version = std::fs::read_to_string(qemu_src.join("VERSION"))
        .map_err(|e| {
            format!(
                "{} is not a QEMU source tree (VERSION: {e})",
                qemu_src.display()
            )
        })?
        .trim()
        .to_string();
    let (history, pin, history_digest) = history_for_pin(&version)?;
    // The release trees beside the pinned one, for what QEMU removed.
    let root = qemu_src
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| qemu_src.join(".."));

    // First every input is read and checked (the pinned tree against the
    // history before anything else), the targets and the older trees side
    // by side; then the targets render side by side (the guest agent's
    // schema is one module, which would otherwise keep a core to itself
    // at the end).
    type Parsed = (
        qapi_schema_parser::Schema,
        BTreeMap<String, String>,
        Duration,
    );
    let parse_target = |t: &Target| -> Result<Parsed, Error> {
        let start = std::time::Instant::now();
        let schema =
            qapi_schema_parser::parse_file(qemu_src.join(t.schema)).map_err(|e| e.to_string())?;
        let parse = start.elapsed();
        let mut files = BTreeMap::new();
        hash_files(&schema, qemu_src, &mut files)?;
        Ok((schema, files, parse))
    };
    let (parsed, old_releases) = std::thread::scope(|scope| {
        let old = scope.spawn(|| removed::load(&root, &history, pin));
        let handles: Vec<_> = TARGETS
            .iter()
            .map(|t| scope.spawn(|| parse_target(t)))
            .collect();
        let parsed: Vec<Result<Parsed, Error>> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a parse thread panicked".into()))
            })
            .collect();
        let old = old
            .join()
            .unwrap_or_else(|_| Err("a thread reading old releases panicked".into()));
        (parsed, old)
    });
    let parsed = parsed.into_iter().collect::<Result<Vec<_>, _>>()?;
    let mut files = BTreeMap::new();
    for (_, hashes, _) in &parsed {
        files.extend(hashes.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if files_digest(&files) != history_digest {
        return Err(format!(
            "schema/history.json was not made from this QEMU {version} tree (its files' digest differs): run cargo xtask history"
        ));
    }
    let old_releases = old_releases?;

    type Target1 = (
        PathBuf,
        Vec<qapi_bindgen::GeneratedFile>,
        Timing,
        qapi_bindgen::GeneratedFile,
    );
    let render_target = |t: &Target,
                         schema: qapi_schema_parser::Schema,
                         parse: Duration|
     -> Result<Target1, Error> {
        let facts_start = std::time::Instant::now();
        let mut cfg = qapi_bindgen::Config::new();
        cfg.layout(qapi_bindgen::Layout::FilePerModule)
            .generated_by(format!(
                "`cargo xtask regen` from QEMU {version}'s {}",
                t.schema
            ))
            .registry_feature("registry");
        for n in RUNTIME_NAMES {
            cfg.reserve_name(n);
        }
        // What QEMU removed since the floor, from the last release that
        // had it.
        let mut schema = schema;
        let mut removed = 0;
        for from in &old_releases {
            let (Some(names), Some(old)) = (from.items.get(t.name), from.schemas.get(t.name))
            else {
                continue;
            };
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            schema
                .adopt(old, &format!("QEMU {}", from.release), &names)
                .map_err(|e| format!("{}: {e}", t.schema))?;
            for name in &names {
                cfg.removed_in(*name, &from.last, &from.removed);
            }
            removed += names.len();
        }
        // Members that a server from the floor release on may leave out,
        // by where they are on the wire.
        let wire = qapi_schema_parser::wire::WireSchema::from_schema(&schema);
        let optional = history
            .schemas
            .get(t.name)
            .map(|s| history::optional_since_floor(s, pin, &wire));
        for (ty, member) in optional.iter().flatten() {
            cfg.optional_member(ty, member);
        }
        for (target, union, value, why) in DEFAULT_BRANCHES {
            if target == t.name {
                cfg.default_branch(union, value, why);
            }
        }
        // When each item, member and value came, for the docs and
        // FIRST_RELEASE.
        if let Some(h) = history.schemas.get(t.name) {
            let first = history::first_releases(h, &history.releases, pin, &schema, &wire);
            for (name, release) in first.items {
                cfg.released_in(name, release);
            }
            for (ty, member, release) in first.members {
                cfg.member_released_in(ty, member, release);
            }
        }
        let facts = facts_start.elapsed();
        let start = std::time::Instant::now();
        let mut rendered = cfg.render_schema(&schema).map_err(|e| e.to_string())?;
        // The bindings' own schema in introspection form, for comparing a
        // server's with (`ServerSchema::unknown_to_bindings`, qmp-types'
        // `registry` feature). The guest agent has no introspection.
        if t.name == "qmp" {
            let text =
                serde_json::to_string(&wire.to_introspection()).map_err(|e| e.to_string())?;
            rendered.push(qapi_bindgen::GeneratedFile {
                path: "introspection.json".into(),
                text: text + "\n",
            });
        }
        let docs = qapi_bindgen::GeneratedFile {
            path: format!("{}-docs.json", t.name),
            text: cli_docs::table(&schema, &version, t.schema)?,
        };
        let timing = Timing {
            schema: t.schema,
            parse,
            generate: start.elapsed(),
            optional: optional.as_ref().map_or(0, Vec::len),
            removed,
            facts,
        };
        Ok((workspace().join(t.out), rendered, timing, docs))
    };
    let results: Vec<Result<Target1, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = TARGETS
            .iter()
            .zip(parsed)
            .map(|(t, (schema, _, parse))| scope.spawn(move || render_target(t, schema, parse)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a render thread panicked".into()))
            })
            .collect()
    });
    let mut out = Vec::new();
    let mut timings = Vec::new();
    let mut docs = Vec::new();
    for r in results {
        let (dir, rendered, timing, doc) = r?;
        out.push((dir, rendered));
        timings.push(timing);
        docs.push(doc);
    }
    // `qmp help`'s docs, both schemas' in one directory.
    out.push((workspace().join(cli_docs::OUT), docs));
    let pin = Pin { version, files };
    let pin_path = workspace().join("schema/qemu.json");
    if update_pin {
        let text = serde_json::to_string_pretty(&pin).map_err(|e| e.to_string())? + "\n";
        std::fs::write(&pin_path, text)
            .map_err(|e| format!("cannot write {}: {e}", pin_path.display()))?;
    } else {
        let text = std::fs::read_to_string(&pin_path)
            .map_err(|e| format!("cannot read {}: {e}", pin_path.display()))?;
        let pinned: Pin =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", pin_path.display()))?;
        if pinned.version != pin.version {
            return Err(format!(
                "the bindings are pinned to QEMU {}, but {} is QEMU {} (run with --update-pin to move)",
                pinned.version,
                qemu_src.display(),
                pin.version
            ));
        }
        let mut diffs = Vec::new();
        for (file, hash) in &pin.files {
            match pinned.files.get(file) {
                None => diffs.push(format!("{file}: not pinned")),
                Some(h) if h != hash => diffs.push(format!("{file}: SHA-256 differs from the pin")),
                Some(_) => {}
            }
        }
        for file in pinned.files.keys().filter(|f| !pin.files.contains_key(*f)) {
            diffs.push(format!("{file}: pinned but not read"));
        }
        if !diffs.is_empty() {
            return Err(format!(
                "{} does not match schema/qemu.json:\n  {}",
                qemu_src.display(),
                diffs.join("\n  ")
            ));
        }
    }
    Ok((out, timings))
}

pub(crate) fn qapi_schema_parser_normalize(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Compares rendered files with what is on disk: the stale files and
/// files that should not be there.
pub fn stale(rendered: &[(PathBuf, Vec<qapi_bindgen::GeneratedFile>)]) -> Vec<String> {
    let mut out = Vec::new();
    for (dir, files) in rendered {
        for f in files {
            let path = dir.join(&f.path);
            match std::fs::read_to_string(&path) {
                Ok(text) if text == f.text => {}
                Ok(_) => out.push(format!("{} is stale", path.display())),
                Err(_) => out.push(format!("{} is missing", path.display())),
            }
        }
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !files.iter().any(|f| f.path == name) {
                    out.push(format!("{} is not generated any more", e.path().display()));
                }
            }
        }
    }
    out
}

/// Writes rendered files, removing files that are not generated any more.
pub fn write(rendered: &[(PathBuf, Vec<qapi_bindgen::GeneratedFile>)]) -> Result<(), Error> {
    for (dir, files) in rendered {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !files.iter().any(|f| f.path == name) {
                    std::fs::remove_file(e.path())
                        .map_err(|err| format!("cannot remove {}: {err}", e.path().display()))?;
                }
            }
        }
        qapi_bindgen::write_files(dir, files).map_err(|e| e.to_string())?;
    }
    Ok(())
}
