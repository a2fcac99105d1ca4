//! Rust code from QAPI schemas.
//!
//! Reads a schema with [`qapi_schema_parser`] and writes typed Rust for every
//! type, command and event, implementing the traits of the `qmp-types`
//! crate so that the `qmp-client` crate can send them. QEMU's own schema
//! is generated into `qmp-types`; this crate is for schemas of your own
//! (a device emulator's, a downstream QEMU's), typically from `build.rs`:
//!
//! ```no_run
//! // build.rs
//! let out = std::env::var("OUT_DIR").unwrap();
//! qapi_bindgen::Config::new()
//!     .schema("schema/my-schema.json")
//!     .out_dir(&out)
//!     .generate()
//!     .unwrap_or_else(|e| panic!("{e}"));
//! println!("cargo::rerun-if-changed=schema");
//! ```
//!
//! and in the crate, `include!(concat!(env!("OUT_DIR"), "/qapi.rs"));`.
//!
//! What the generated code looks like (open enums, unions with a branch
//! enum, alternates chosen by JSON type, commands implementing
//! `qmp_types::Command`...) is described in the README.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod docs;
mod emit;
mod names;

pub use emit::modules::GeneratedFile;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The schema is invalid (the diagnostics render as `file:line:col`).
    #[error("{0}")]
    Schema(#[from] qapi_schema_parser::Errors),
    /// Two schema names would be the same Rust name.
    #[error("name clash: {0}")]
    Clash(String),
    /// The configuration is wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A bug in the generator.
    #[error("internal error: {0}")]
    Internal(String),
}

/// How the generated modules are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// One file, `qapi.rs`, with every QAPI module inline: for
    /// `include!` from `OUT_DIR`.
    #[default]
    SingleFile,
    /// `mod.rs` plus one file per QAPI module: for committed code.
    FilePerModule,
}

/// Generation settings, in the style of `prost_build::Config`.
#[derive(Debug, Clone)]
pub struct Config {
    schema: Option<PathBuf>,
    events_spec: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    pub(crate) layout: Layout,
    pub(crate) derives: Vec<String>,
    pub(crate) type_map: BTreeMap<String, String>,
    pub(crate) runtime: String,
    pub(crate) legacy: bool,
    pub(crate) qemu_version: Option<qapi_schema_parser::profile::QemuVersion>,
    pub(crate) optional_members: std::collections::BTreeSet<(String, String)>,
    pub(crate) item_releases: BTreeMap<String, String>,
    pub(crate) default_branches: BTreeMap<String, (String, String)>,
    pub(crate) member_releases: BTreeMap<(String, String), String>,
    pub(crate) removed: BTreeMap<String, (String, String)>,
    pub(crate) generated_by: String,
    pub(crate) registry_feature: Option<String>,
    pub(crate) reserved: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            schema: None,
            events_spec: None,
            out_dir: None,
            layout: Layout::SingleFile,
            derives: Vec::new(),
            type_map: BTreeMap::new(),
            runtime: "::qmp_types".into(),
            legacy: false,
            qemu_version: None,
            optional_members: Default::default(),
            item_releases: BTreeMap::new(),
            default_branches: BTreeMap::new(),
            member_releases: BTreeMap::new(),
            removed: BTreeMap::new(),
            generated_by: "qapi-bindgen".into(),
            registry_feature: None,
            reserved: Vec::new(),
        }
    }
}

impl Config {
    /// Default settings: single-file layout, runtime `::qmp_types`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The root schema file.
    pub fn schema(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.schema = Some(path.as_ref().to_path_buf());
        self
    }

    /// The legacy events spec (`docs/qmp/qmp-events.txt` of QEMU up to
    /// 2.5) to merge into the events' documentation: its descriptions,
    /// notes and examples. Its cross-check warnings are not errors here;
    /// `qapi check --events-spec` prints them.
    pub fn events_spec(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.events_spec = Some(path.as_ref().to_path_buf());
        self
    }

    /// Where to write the generated files.
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The file layout (default: [`Layout::SingleFile`]).
    pub fn layout(&mut self, layout: Layout) -> &mut Self {
        self.layout = layout;
        self
    }

    /// Adds a derive to every generated type (`"Eq"`, `"::my::Trait"`).
    /// The types must support it (structs with `number` members are not
    /// `Eq`).
    pub fn extra_derive(&mut self, derive: impl Into<String>) -> &mut Self {
        self.derives.push(derive.into());
        self
    }

    /// Uses an existing Rust type for a QAPI type instead of generating
    /// it: for a schema that includes QEMU's, map QEMU's types onto
    /// `qmp-types` (`map_type("BlockdevOptions", "::qmp_types::BlockdevOptions")`).
    /// The schema may also only reference the type without defining it:
    /// it then counts as an object type (a struct) for the schema's checks.
    pub fn map_type(&mut self, qapi: impl Into<String>, rust_path: impl Into<String>) -> &mut Self {
        self.type_map.insert(qapi.into(), rust_path.into());
        self
    }

    /// The path of the runtime crate (default `::qmp_types`).
    pub fn runtime_crate(&mut self, path: impl Into<String>) -> &mut Self {
        self.runtime = path.into();
        self
    }

    /// Accepts the constructs of older QEMU releases.
    pub fn legacy(&mut self, legacy: bool) -> &mut Self {
        self.legacy = legacy;
        self
    }

    /// Applies the rules of this QEMU release (by default, the release
    /// in the `VERSION` file of the schema's source tree; see
    /// [`qapi_schema_parser::Options`]).
    pub fn qemu_version(&mut self, version: qapi_schema_parser::profile::QemuVersion) -> &mut Self {
        self.qemu_version = Some(version);
        self
    }

    /// Generates member `member` of the object type `owner` (QAPI names;
    /// for a command's or event's arguments, the implicit type's name,
    /// `q_obj_NAME-arg`) as optional although the schema requires it: for
    /// bindings that must read older servers, which do not send a member
    /// added later (see `cargo xtask history`).
    pub fn optional_member(
        &mut self,
        owner: impl Into<String>,
        member: impl Into<String>,
    ) -> &mut Self {
        self.optional_members.insert((owner.into(), member.into()));
        self
    }

    /// Records that the definition `name` (a command, event or type, by
    /// its QAPI name) first came in QEMU `release` (`"8.0"`), as a
    /// release history knows (see `cargo xtask history`): its docs say so,
    /// and a command's or event's `FIRST_RELEASE` is that release. Leave
    /// out what every release the bindings read has.
    pub fn released_in(
        &mut self,
        name: impl Into<String>,
        release: impl Into<String>,
    ) -> &mut Self {
        self.item_releases.insert(name.into(), release.into());
        self
    }

    /// Decodes an object of the union `union` that lacks its
    /// discriminator as the branch `value`: for a type that became a
    /// union in a later release, whose older servers send the members
    /// without the tag (`why` says so in the docs: "QEMU before 9.1").
    /// Encoding always writes the discriminator.
    pub fn default_branch(
        &mut self,
        union: impl Into<String>,
        value: impl Into<String>,
        why: impl Into<String>,
    ) -> &mut Self {
        self.default_branches
            .insert(union.into(), (value.into(), why.into()));
        self
    }

    /// Records that member `member` of `owner` first came in QEMU
    /// `release`, later than its type (its field's docs say so).
    pub fn member_released_in(
        &mut self,
        owner: impl Into<String>,
        member: impl Into<String>,
        release: impl Into<String>,
    ) -> &mut Self {
        self.member_releases
            .insert((owner.into(), member.into()), release.into());
        self
    }

    /// Records that the command or event `name` is gone from the schema's
    /// own release: `last` (`"9.0"`) is the last QEMU release that has
    /// it and `removed` (`"9.1"`) the first that does not. It is generated
    /// from the definition the schema holds (one taken from the last
    /// release, with [`qapi_schema_parser::Schema::adopt`]), marked
    /// `#[deprecated]` and documented as removed, and its `LAST_RELEASE`
    /// is `last`.
    pub fn removed_in(
        &mut self,
        name: impl Into<String>,
        last: impl Into<String>,
        removed: impl Into<String>,
    ) -> &mut Self {
        self.removed
            .insert(name.into(), (last.into(), removed.into()));
        self
    }

    /// What the `@generated` header says made the files.
    pub fn generated_by(&mut self, text: impl Into<String>) -> &mut Self {
        self.generated_by = text.into();
        self
    }

    /// Puts the `COMMANDS` and `EVENTS` tables behind a cargo feature (they
    /// instantiate every type's decoder; code that does not look types up
    /// by name need not pay for them).
    pub fn registry_feature(&mut self, feature: impl Into<String>) -> &mut Self {
        self.registry_feature = Some(feature.into());
        self
    }

    /// Refuses schema type names that would collide with `name` (for a
    /// crate that puts names of its own beside the generated types).
    pub fn reserve_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.reserved.push(name.into());
        self
    }

    /// Generates the code into memory.
    pub fn render(&self) -> Result<Vec<GeneratedFile>, Error> {
        let path = self
            .schema
            .as_ref()
            .ok_or_else(|| Error::Config("no schema given".into()))?;
        let options = qapi_schema_parser::Options {
            legacy: self.legacy,
            qemu_version: self.qemu_version,
            // Generation runs in short-lived processes (`build.rs`, the
            // `qapi` tool, `cargo xtask regen`): see Options::sequential.
            sequential: true,
        };
        let schema = match &self.events_spec {
            Some(spec) => qapi_schema_parser::parse_with_events_spec(path, spec, options)?,
            None => match qapi_schema_parser::parse_file_with(path, options) {
                Ok(schema) => schema,
                Err(errors) => self.parse_with_mapped_stubs(path, options, errors)?,
            },
        };
        self.render_schema(&schema)
    }

    /// When the only errors are references to types the schema does not
    /// define but [`Config::map_type`] maps, reads the schema again with a
    /// stand-in object type for each (it is never generated: every use
    /// names the mapped Rust type). Otherwise the errors as they were.
    fn parse_with_mapped_stubs(
        &self,
        path: &Path,
        options: qapi_schema_parser::Options,
        errors: qapi_schema_parser::Errors,
    ) -> Result<qapi_schema_parser::Schema, Error> {
        let mut missing: Vec<&str> = Vec::new();
        for d in errors
            .diagnostics
            .iter()
            .filter(|d| d.severity == qapi_schema_parser::Severity::Error)
        {
            let name = d
                .message
                .split_once("uses unknown type '")
                .and_then(|(_, rest)| rest.strip_suffix('\''));
            match name.and_then(|n| self.type_map.get_key_value(n)) {
                Some((n, _)) => {
                    if !missing.contains(&n.as_str()) {
                        missing.push(n);
                    }
                }
                None => return Err(errors.into()),
            }
        }
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .ok_or_else(|| Error::Config(format!("{}: not a file name", path.display())))?;
        let mut text = format!("{{ 'include': '{}' }}\n", file.replace('\'', "\\'"));
        for name in &missing {
            text.push_str(&format!(
                "\n##\n# @{name}:\n#\n# Mapped onto a Rust type (Config::map_type).\n##\n{{ 'struct': '{name}', 'data': {{}} }}\n"
            ));
        }
        let stubs = path.with_file_name(format!("{file}.mapped-types.json"));
        Ok(qapi_schema_parser::parse_str(&stubs, &text, options)?)
    }

    /// Generates code for a schema already parsed.
    pub fn render_schema(
        &self,
        schema: &qapi_schema_parser::Schema,
    ) -> Result<Vec<GeneratedFile>, Error> {
        let g = emit::Gen::new(schema, self)?;
        emit::modules::generate(&g)
    }

    /// Generates the code and writes it to the output directory.
    pub fn generate(&self) -> Result<(), Error> {
        let out = self
            .out_dir
            .as_ref()
            .ok_or_else(|| Error::Config("no output directory given".into()))?;
        let files = self.render()?;
        write_files(out, &files)
    }
}

/// Writes generated files into `dir` (creating it), leaving files whose
/// text is unchanged untouched so that cargo does not rebuild for nothing.
pub fn write_files(dir: &Path, files: &[GeneratedFile]) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for f in files {
        let path = dir.join(&f.path);
        if std::fs::read_to_string(&path).is_ok_and(|old| old == f.text) {
            continue;
        }
        std::fs::write(&path, &f.text).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Generates bindings for `schema` into `out_dir/qapi.rs`: the one-line
/// form for `build.rs`.
pub fn generate(schema: impl AsRef<Path>, out_dir: impl AsRef<Path>) -> Result<(), Error> {
    Config::new().schema(schema).out_dir(out_dir).generate()
}
