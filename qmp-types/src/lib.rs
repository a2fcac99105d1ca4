//! Typed Rust bindings for QEMU's QMP schema and guest-agent schema,
//! generated from QEMU 10.2.2 and reading every QEMU from 6.2 on.
//!
//! Every QAPI type is a Rust type in the module of its QAPI module
//! ([`block_core::BlockInfo`]) and at the crate root (`qmp_types::BlockInfo`),
//! every command a type in [`cmd`] implementing [`Command`], every event
//! a type in [`event`] implementing [`Event`], and [`Events`] holds any of
//! them. Search the docs by QEMU's names too: `blockdev-add`,
//! `BLOCK_JOB_READY`, `node-name`.
//!
//! ```
//! use qmp_types::{Command, RunState, StatusInfo, cmd};
//!
//! // A reply of `query-status`, decoded into its typed form.
//! let reply = r#"{"running": true, "status": "running"}"#;
//! let status: <cmd::QueryStatus as Command>::Returns = serde_json::from_str(reply)?;
//! assert_eq!(status.status, RunState::Running);
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! Every generated type implements serde's `Serialize` and `Deserialize`
//! in QEMU's wire form (open enums, unions with their discriminator,
//! `unknown_members` kept); the impls are not listed on each page, to
//! keep the documentation small enough to search.
//!
//! The generated code is in `src/generated/` (regenerate it with
//! `cargo xtask regen`); the traits it implements are in this file's
//! `runtime` module, written by hand.

#![cfg_attr(docsrs, feature(doc_cfg))]
// No "Source" links and no source pages: nine tenths of this crate is
// generated code (macro invocations a reader learns nothing from, each
// page already shows the item's definition), and the links alone were a
// tenth of the documentation's size (5 MB of 58 MB, plus 5.6 MB of
// source pages). The code is in the package and in `src/generated/`.
#![doc(html_no_source)]

// The generated code names this crate `::qmp_types`, like code generated
// for other schemas does.
extern crate self as qmp_types;

pub mod deep;
mod macros;
mod runtime;
// Named one by one: the generated types are glob re-exported, and a
// QAPI type of the same name must not be shadowed silently (the
// generator refuses these names, see xtask).
pub use runtime::{
    Command, CommandDescriptor, Empty, Event, EventDescriptor, EventIn, EventMessage, EventSet,
    Timestamp, de, roundtrip,
};
/// The serde these bindings implement, re-exported: generated code
/// (this crate's and a `build.rs`'s) names it through here, so a crate
/// with bindings of its own needs no direct dependency on it.
pub use serde;
/// The serde_json these bindings use (`unknown_members` is its `Map`),
/// re-exported like [`serde`].
pub use serde_json;

// The QMP bindings are the crate root's own modules, so that each item
// has one page in the docs (behind a private module, rustdoc wrote each
// twice and a redirect page besides). Formatted by the generator
// (prettyplease); `cargo xtask regen --check` compares it byte for byte.
#[cfg(feature = "qmp")]
include!("generated/qmp/mod.rs");

/// The bindings' own schema (QEMU 10.2.2's QMP schema, every condition
/// built in) as QEMU's introspection describes a schema: what
/// `query-qmp-schema` would return, types numbered. For comparing a
/// server's schema with the bindings' (`qmp_client::ServerSchema`).
/// Written by `cargo xtask regen`.
#[cfg(all(feature = "qmp", feature = "registry"))]
#[cfg_attr(docsrs, doc(cfg(feature = "registry")))]
pub static INTROSPECTION: &str = include_str!("generated/qmp/introspection.json");

/// An error reply, `{"error": {"class": ..., "desc": ...}}`: the class
/// (open, like every enum, so a new class from a newer QEMU is kept), the
/// human-readable description, and any member a newer QEMU adds.
///
/// ```
/// let e: qmp_types::QmpError = serde_json::from_str(
///     r#"{"class": "DeviceNotFound", "desc": "Device 'x' not found"}"#,
/// )?;
/// assert_eq!(e.class, qmp_types::QapiErrorClass::DeviceNotFound);
/// assert_eq!(e.to_string(), "DeviceNotFound: Device 'x' not found");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[cfg(feature = "qmp")]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[error("{class}: {desc}")]
pub struct QmpError {
    /// The error class.
    pub class: QapiErrorClass,
    /// What went wrong, for people.
    pub desc: std::string::String,
    /// Members this version of the bindings does not know (sent by a
    /// newer QEMU), kept so that encoding gives back what was received.
    #[serde(flatten)]
    pub unknown_members: serde_json::Map<std::string::String, serde_json::Value>,
}

/// `10.0.2`.
///
/// ```
/// let v = qmp_types::VersionTriple::new(10, 0, 2);
/// assert_eq!(v.to_string(), "10.0.2");
/// ```
#[cfg(feature = "qmp")]
impl VersionTriple {
    /// Whether this version is release `release` (`"8.0"`, `"10.2.2"`) or
    /// later: for a command's [`Command::FIRST_RELEASE`]. A release that
    /// does not parse counts as later than every version.
    ///
    /// ```
    /// let v = qmp_types::VersionTriple::new(8, 2, 2);
    /// assert!(v.at_least("8.0") && v.at_least("8.2.2") && !v.at_least("9.0"));
    /// ```
    pub fn at_least(&self, release: &str) -> bool {
        let mut parts = release.split('.').map(str::parse::<i64>);
        let mut next = || parts.next().unwrap_or(Ok(0));
        match (next(), next(), next()) {
            (Ok(major), Ok(minor), Ok(micro)) => {
                (self.major, self.minor, self.micro) >= (major, minor, micro)
            }
            _ => false,
        }
    }

    /// Whether this version belongs to release `release` (`"9.0"`: any
    /// 9.0.x) or an earlier one: for a command's
    /// [`Command::LAST_RELEASE`]. Only the parts `release` gives are
    /// compared. A release that does not parse counts as earlier than
    /// every version.
    ///
    /// ```
    /// let v = qmp_types::VersionTriple::new(9, 0, 2);
    /// assert!(v.at_most("9.0") && v.at_most("10.1") && !v.at_most("8.2") && !v.at_most("9.0.1"));
    /// ```
    pub fn at_most(&self, release: &str) -> bool {
        let parts: Result<Vec<i64>, _> = release.split('.').map(str::parse::<i64>).collect();
        let mine = [self.major, self.minor, self.micro];
        match parts {
            Ok(p) if !p.is_empty() && p.len() <= 3 => mine[..p.len()] <= p[..],
            _ => false,
        }
    }

    /// Whether a server of this version has the command `C`, by the
    /// release history the bindings carry ([`Command::FIRST_RELEASE`],
    /// [`Command::LAST_RELEASE`]). A server built without a command's
    /// build condition lacks it all the same: ask the server itself for
    /// that (`qmp_client::Client::schema`).
    ///
    /// ```
    /// use qmp_types::{VersionTriple, cmd};
    /// let debian_12 = VersionTriple::new(7, 2, 0);
    /// assert!(debian_12.has_command::<cmd::QueryStatus>());
    /// assert!(!debian_12.has_command::<cmd::BlockdevSetActive>());
    /// ```
    pub fn has_command<C: Command>(&self) -> bool {
        self.in_releases(C::FIRST_RELEASE, C::LAST_RELEASE)
    }

    /// Whether a server of this version may send the event `E` (see
    /// [`VersionTriple::has_command`]).
    pub fn has_event<E: Event>(&self) -> bool {
        self.in_releases(E::FIRST_RELEASE, E::LAST_RELEASE)
    }

    fn in_releases(&self, first: Option<&str>, last: Option<&str>) -> bool {
        first.is_none_or(|r| self.at_least(r)) && last.is_none_or(|r| self.at_most(r))
    }
}

#[cfg(feature = "qmp")]
impl std::fmt::Display for VersionTriple {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.micro)
    }
}

/// The guest agent's schema (`qemu-ga`): its types, commands in
/// [`qga::cmd`], and [`qga::Events`] (it has no events).
#[cfg(feature = "qga")]
#[cfg_attr(docsrs, doc(cfg(feature = "qga")))]
#[path = "generated/qga/mod.rs"]
#[rustfmt::skip]
pub mod qga;
