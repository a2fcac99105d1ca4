//! Which rules of the QAPI language apply: those of the QEMU release a
//! schema belongs to.
//!
//! The language changed between releases: constructs came and went
//! (`'type'` for structs until 2.3, simple unions until 6.1, C
//! preprocessor conditions from 3.0 to 6.1, ...), restrictions were added
//! (naming rules in 6.0, the documentation parser of 9.1) and relaxed
//! (rST headings anywhere from 10.1). [`RULES`] lists every rule that
//! holds only for some releases, with the releases it holds for: it is
//! the one place to read (and to change) when a release changes the
//! language. A [`Profile`] answers, for one release, whether a rule
//! holds; the checks ask it and never compare versions themselves.
//!
//! ```
//! use qapi_schema_parser::profile::{Profile, QemuVersion, Rule};
//! let v6_1: QemuVersion = "6.1.0".parse()?;
//! assert!(Profile::of(v6_1).holds(Rule::SimpleUnions));
//! assert!(!Profile::of("10.0".parse()?).holds(Rule::SimpleUnions));
//! // Unknown age: every construct any release had is accepted.
//! assert!(Profile::legacy().holds(Rule::SimpleUnions));
//! # Ok::<(), qapi_schema_parser::profile::BadVersion>(())
//! ```

use std::fmt;
use std::path::Path;

/// A QEMU release number, `MAJOR.MINOR[.MICRO]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QemuVersion {
    /// The major number.
    pub major: u16,
    /// The minor number.
    pub minor: u16,
    /// The micro number (0 when not given).
    pub micro: u16,
}

impl QemuVersion {
    /// The release `major.minor.0`.
    pub const fn new(major: u16, minor: u16) -> Self {
        QemuVersion {
            major,
            minor,
            micro: 0,
        }
    }

    /// The release of the QEMU source tree a schema file sits in: the
    /// `VERSION` file of its tree's root, the first directory at or
    /// above the file (at most three levels: a schema sits in the root,
    /// `qapi/`, `qga/` or `storage-daemon/qapi/`) that holds `VERSION`
    /// and looks like a QEMU tree (a `qapi/` directory or a
    /// `qapi-schema.json`), so that a `VERSION` file of something else
    /// above a project's own schemas is not taken for QEMU's. `None` when
    /// there is none or it does not hold a version.
    pub fn of_tree(path: &Path) -> Option<QemuVersion> {
        let path = std::path::absolute(path).ok()?;
        let start = if path.is_dir() {
            path.as_path()
        } else {
            path.parent()?
        };
        for dir in start.ancestors().take(4) {
            let file = dir.join("VERSION");
            let qemu_tree = dir.join("qapi").is_dir() || dir.join("qapi-schema.json").is_file();
            if qemu_tree && file.is_file() {
                let text = std::fs::read_to_string(&file).ok()?;
                return text.trim().parse().ok();
            }
        }
        None
    }
}

impl fmt::Display for QemuVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.micro)
    }
}

/// A text that is not a QEMU version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a QEMU version (expected MAJOR.MINOR or MAJOR.MINOR.MICRO)")]
pub struct BadVersion(pub String);

impl std::str::FromStr for QemuVersion {
    type Err = BadVersion;
    fn from_str(s: &str) -> Result<Self, BadVersion> {
        let bad = || BadVersion(s.to_string());
        let mut parts = s.trim().split('.');
        let mut next = |required: bool| -> Result<u16, BadVersion> {
            match parts.next() {
                Some(p) => p.parse().map_err(|_| bad()),
                None if required => Err(bad()),
                None => Ok(0),
            }
        };
        let v = QemuVersion {
            major: next(true)?,
            minor: next(true)?,
            micro: next(false)?,
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(v)
    }
}

/// A rule of the language that holds only for some releases. A rule is
/// either a construct that those releases accept, or a restriction that
/// they enforce; see [`RULES`] for each one's releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// Construct: `'type'` as the keyword of a struct definition.
    TypeKeyword,
    /// Construct: the `'**'` pseudo-type for unchecked data.
    StarStarType,
    /// Construct: the `'visitor'` pseudo-type of 1.x (for `qom-get` and
    /// `qom-set`, which were not generated).
    VisitorType,
    /// Construct: simple unions (no `base`, no `discriminator`).
    SimpleUnions,
    /// Construct: `'if'` conditions as C preprocessor expressions, and
    /// lists of them meaning all must hold.
    PreprocessorConditions,
    /// Construct: names that break the naming rules of 6.0 (commands
    /// with `_`, members and enum values in upper case or with `_`, enum
    /// values with `.`), without a pragma listing them.
    FreeNames,
    /// Construct: documentation comments in the layouts older than the
    /// 9.1 parser (`Note:`/`Example:` sections, `@NAME` lines without a
    /// colon, repeated sections, comments naming another definition,
    /// text laid out freely, `Returns:` on commands that return nothing,
    /// free-form comments between a definition's comment and itself).
    OldDocLayouts,
    /// Construct: a nested anonymous struct as a member's type
    /// (`'qemu': {'major': 'int', ...}`), read as a struct of its own.
    NestedStructs,
    /// Construct: `'gen': 'no'` and `'success-response': 'no'` for false.
    StringFlags,
    /// Construct: an anonymous union, `'discriminator': {}` (now an
    /// `alternate`).
    AnonymousUnions,
    /// Construct: a flat union whose discriminator is a `'str'` member,
    /// its values being the branch names (an enum `{Union}Kind` of them
    /// is implied).
    StringDiscriminators,
    /// Construct: members and elements without commas between them,
    /// and a comma after the last one (the lenient parser of QEMU 1.0 to
    /// 1.5, which skipped commas).
    MissingCommas,
    /// Construct: the pragma names of 2.9 to 5.2, `returns-whitelist`
    /// and `name-case-whitelist` (now `command-returns-exceptions` and
    /// `member-name-exceptions`).
    OldPragmaNames,
    /// Construct: commands returning a type that is not an object,
    /// without a pragma listing them (before 2.9, the list lived in
    /// QEMU's generator).
    UncheckedReturns,
    /// Restriction: documentation lines at most 70 columns wide.
    DocLineWidth,
    /// Restriction: two spaces between sentences in documentation.
    SentenceSpacing,
    /// Restriction: a `=` heading must be the first line of its
    /// free-form documentation comment (rST headings replaced it).
    EqualsHeadingFirst,
}

/// The releases a rule holds for.
#[derive(Debug, Clone, Copy)]
pub struct RuleSpan {
    /// The rule.
    pub rule: Rule,
    /// Whether it is a construct those releases accept (else a
    /// restriction they enforce).
    pub construct: bool,
    /// The first release it holds for.
    pub since: QemuVersion,
    /// The last release it holds for (`None`: still holds).
    pub until: Option<QemuVersion>,
    /// What it is, for messages.
    pub what: &'static str,
}

/// A construct that the releases from `since` to `until` accept.
const fn construct(
    rule: Rule,
    since: (u16, u16),
    until: Option<(u16, u16)>,
    what: &'static str,
) -> RuleSpan {
    span(rule, true, since, until, what)
}

/// A restriction that the releases from `since` to `until` enforce.
const fn restriction(
    rule: Rule,
    since: (u16, u16),
    until: Option<(u16, u16)>,
    what: &'static str,
) -> RuleSpan {
    span(rule, false, since, until, what)
}

const fn span(
    rule: Rule,
    construct: bool,
    since: (u16, u16),
    until: Option<(u16, u16)>,
    what: &'static str,
) -> RuleSpan {
    RuleSpan {
        rule,
        construct,
        since: QemuVersion::new(since.0, since.1),
        until: match until {
            // The last release of a line: any micro release of it.
            Some((major, minor)) => Some(QemuVersion {
                major,
                minor,
                micro: u16::MAX,
            }),
            None => None,
        },
        what,
    }
}

/// Every rule that holds only for some releases, and the releases: from
/// the released schemas and each release's own language documentation
/// (see `../shared/qemu/LANGUAGE-CHECKLIST.md`, "Historical syntax").
pub const RULES: &[RuleSpan] = &[
    construct(
        Rule::TypeKeyword,
        (0, 14),
        Some((2, 3)),
        "'type' as the keyword of structs (renamed 'struct' in 2.4)",
    ),
    construct(
        Rule::StarStarType,
        (1, 2),
        Some((2, 4)),
        "the '**' pseudo-type (replaced by 'any' in 2.5)",
    ),
    construct(
        Rule::VisitorType,
        (1, 1),
        Some((2, 3)),
        "the 'visitor' pseudo-type ('**' by 2.4, 'any' from 2.5)",
    ),
    construct(
        Rule::SimpleUnions,
        (1, 0),
        Some((6, 1)),
        "simple unions (removed in 6.2)",
    ),
    construct(
        Rule::PreprocessorConditions,
        (3, 0),
        Some((6, 1)),
        "C preprocessor conditions (structured conditions from 6.2)",
    ),
    construct(
        Rule::FreeNames,
        (0, 14),
        Some((5, 2)),
        "names that break the naming rules of 6.0",
    ),
    construct(
        Rule::OldDocLayouts,
        (0, 14),
        Some((9, 0)),
        "documentation layouts older than the 9.1 parser",
    ),
    construct(
        Rule::NestedStructs,
        (0, 14),
        Some((2, 3)),
        "nested anonymous structs as member types (none by 2.4)",
    ),
    construct(
        Rule::StringFlags,
        (1, 1),
        Some((2, 3)),
        "'gen' and 'success-response' written 'no' (2.4 writes false)",
    ),
    construct(
        Rule::AnonymousUnions,
        (1, 6),
        Some((2, 3)),
        "anonymous unions, 'discriminator': {} (replaced by 'alternate' in 2.4)",
    ),
    construct(
        Rule::StringDiscriminators,
        (1, 6),
        Some((2, 0)),
        "unions over a 'str' discriminator (an enum from 2.1)",
    ),
    construct(
        Rule::MissingCommas,
        (0, 14),
        Some((1, 5)),
        "commas left out or trailing (a lenient parser, strict from 1.6)",
    ),
    construct(
        Rule::OldPragmaNames,
        (2, 9),
        Some((5, 2)),
        "the pragmas 'returns-whitelist' and 'name-case-whitelist' (renamed in 6.0)",
    ),
    construct(
        Rule::UncheckedReturns,
        (0, 14),
        Some((2, 8)),
        "non-object returns without a pragma (listed in a pragma from 2.9)",
    ),
    restriction(
        Rule::DocLineWidth,
        (10, 2),
        None,
        "documentation lines at most 70 columns wide (from 10.2)",
    ),
    restriction(
        Rule::SentenceSpacing,
        (10, 2),
        None,
        "two spaces between sentences in documentation (from 10.2)",
    ),
    restriction(
        Rule::EqualsHeadingFirst,
        (0, 14),
        Some((10, 0)),
        "'=' headings first in their comment (rST headings from 10.1)",
    ),
];

/// The rules of one release (or, for schemas of unknown age, the union of
/// every release's constructs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The release whose rules apply (`None` for [`Profile::legacy`]).
    pub version: Option<QemuVersion>,
}

/// The newest release whose rules the front end knows. A newer release
/// gets its rules.
pub const NEWEST: QemuVersion = QemuVersion {
    major: 10,
    minor: 2,
    micro: 2,
};

impl Default for Profile {
    /// The newest rules.
    fn default() -> Self {
        Profile::newest()
    }
}

impl Profile {
    /// The rules of `version` (a version newer than [`NEWEST`] gets the
    /// newest rules, which hold from their release on).
    pub fn of(version: QemuVersion) -> Self {
        Profile {
            version: Some(version),
        }
    }

    /// The newest rules: for a schema of no known release.
    pub fn newest() -> Self {
        Profile::of(NEWEST)
    }

    /// Every construct any release ever had, and none of the
    /// restrictions that only some releases enforce: for schemas of
    /// unknown age (`--legacy`).
    pub fn legacy() -> Self {
        Profile { version: None }
    }

    /// Whether `rule` holds. For [`Profile::legacy`]: every construct
    /// does, no restriction does.
    pub fn holds(&self, rule: Rule) -> bool {
        let span = rule.span();
        match self.version {
            Some(v) => v >= span.since && span.until.is_none_or(|u| v <= u),
            None => span.construct,
        }
    }

    /// How a message names this profile: "QEMU 10.0.2's rules".
    pub fn name(&self) -> String {
        match self.version {
            Some(v) => format!("QEMU {v}'s rules"),
            None => "the rules of every release (--legacy)".to_string(),
        }
    }

    /// A note for an error that an older release would not have given:
    /// `history` (which releases had the construct), and whose rules
    /// gave the error.
    pub fn older(&self, history: &str) -> String {
        format!(
            "{history}; this was checked by {} (give the schema's release with --qemu-version or Options::qemu_version, or use --legacy for a schema of unknown age)",
            self.name()
        )
    }
}

impl Rule {
    /// The note for a construct of this rule accepted at `span`:
    /// `message`, and the releases that had the construct.
    pub(crate) fn note(
        self,
        span: crate::source::Span,
        message: impl Into<String>,
    ) -> crate::diag::Diagnostic {
        let s = self.span();
        let until = match s.until {
            Some(u) => format!("{}.{}", u.major, u.minor),
            None => "today".into(),
        };
        crate::diag::Diagnostic::note(span, message).with_note(format!(
            "QEMU {}.{} to {until} had it: {}",
            s.since.major, s.since.minor, s.what
        ))
    }

    /// Its entry in [`RULES`].
    pub fn span(self) -> &'static RuleSpan {
        RULES
            .iter()
            .find(|s| s.rule == self)
            .expect("every rule is in RULES (a test checks)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_and_order() {
        let v: QemuVersion = "10.2.2\n".parse().expect("a version");
        assert_eq!(
            v,
            QemuVersion {
                major: 10,
                minor: 2,
                micro: 2
            }
        );
        assert_eq!("9.2".parse::<QemuVersion>(), Ok(QemuVersion::new(9, 2)));
        assert!("10".parse::<QemuVersion>().is_err());
        assert!("10.x".parse::<QemuVersion>().is_err());
        assert!("1.2.3.4".parse::<QemuVersion>().is_err());
        assert!(QemuVersion::new(9, 2) < QemuVersion::new(10, 0));
    }

    #[test]
    fn every_rule_has_its_releases() {
        for rule in [
            Rule::TypeKeyword,
            Rule::StarStarType,
            Rule::VisitorType,
            Rule::SimpleUnions,
            Rule::PreprocessorConditions,
            Rule::FreeNames,
            Rule::OldDocLayouts,
            Rule::NestedStructs,
            Rule::StringFlags,
            Rule::AnonymousUnions,
            Rule::StringDiscriminators,
            Rule::MissingCommas,
            Rule::OldPragmaNames,
            Rule::UncheckedReturns,
            Rule::DocLineWidth,
            Rule::SentenceSpacing,
            Rule::EqualsHeadingFirst,
        ] {
            assert_eq!(
                RULES.iter().filter(|s| s.rule == rule).count(),
                1,
                "{rule:?}"
            );
        }
    }

    #[test]
    fn rules_hold_for_their_releases_only() {
        let at = |s: &str| Profile::of(s.parse().expect("a version"));
        assert!(at("6.1.1").holds(Rule::SimpleUnions));
        assert!(!at("6.2.0").holds(Rule::SimpleUnions));
        assert!(at("10.0.2").holds(Rule::EqualsHeadingFirst));
        assert!(!at("10.1.0").holds(Rule::EqualsHeadingFirst));
        assert!(!at("11.0").holds(Rule::EqualsHeadingFirst));
        assert!(at("2.3.1").holds(Rule::TypeKeyword));
        assert!(!at("2.4.0").holds(Rule::TypeKeyword));
        assert!(!Profile::legacy().holds(Rule::EqualsHeadingFirst));
        assert!(Profile::legacy().holds(Rule::OldDocLayouts));
    }
}
