//! Naming rules of the QAPI language.
//!
//! Every name is `[__RFQDN_][x-]STEM`: an optional downstream prefix
//! (`__com.example_`), an optional `x-` (experimental), then a stem that
//! starts with a letter and continues with letters, digits, `-` and `_`.
//! What the stem may contain depends on what is named (see [`NameKind`]).

/// What a name names; each kind has its own rule for the stem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// enum, struct, union, alternate: CamelCase, not ending in `List`.
    Type,
    /// command: lowercase, `-` separated (`_` only by pragma exception).
    Command,
    /// event: UPPER_CASE.
    Event,
    /// struct member, command/event argument, enum value, alternate
    /// branch, feature: lowercase, `-` separated.
    Member,
}

/// Splits a name into its stem, or `None` when it does not have the
/// general shape `[__RFQDN_][x-]STEM` (case-insensitive).
pub(crate) fn stem(name: &str) -> Option<&str> {
    let mut rest = name;
    if let Some(after) = rest.strip_prefix("__") {
        // The prefix runs up to the first '_', which must be preceded by
        // at least one of [a-z0-9.-].
        let end = after.find('_')?;
        let prefix = &after[..end];
        if prefix.is_empty()
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return None;
        }
        rest = &after[end + 1..];
    }
    let is_stem = |s: &str| {
        let mut b = s.bytes();
        b.next().is_some_and(|c| c.is_ascii_alphabetic())
            && b.all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    };
    // `x-` is optional; when the rest without it is no stem, the `x-` may
    // itself be the start of the stem (as a regex would backtrack).
    if let Some(after) = rest.strip_prefix("x-").or_else(|| rest.strip_prefix("X-")) {
        if is_stem(after) {
            return Some(after);
        }
    }
    is_stem(rest).then_some(rest)
}

/// The name with every character outside `[A-Za-z0-9_]` replaced by `_`:
/// how QEMU names things in C, and therefore what two names must not
/// share (`a-b` and `a_b` clash). The checks compare in place
/// (`c_name_eq`); the tests check against this.
#[cfg(test)]
fn c_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Checks the general shape and the reserved `q_` prefix. Returns the
/// stem, or a description of the problem.
pub(crate) fn check_shape(name: &str) -> Result<&str, String> {
    let Some(stem) = stem(name) else {
        return Err(if name.is_empty() {
            "a name must not be empty".into()
        } else {
            "a name is made of an optional '__RFQDN_' prefix, an optional 'x-', then a letter followed by letters, digits, '-' and '_'".into()
        });
    };
    // c_name(name) starts with "q_" (checked without building it).
    if name.starts_with("q_") || name.starts_with("q-") || name.starts_with("q.") {
        return Err("names starting with 'q-' or 'q_' are reserved for generated code".into());
    }
    Ok(stem)
}

/// Checks `name` as a `kind`. `permissive` relaxes the member rule (the
/// `member-name-exceptions` and `command-name-exceptions` pragmas, and
/// the legacy dialect). Enum values may start with a digit.
pub(crate) fn check(
    name: &str,
    kind: NameKind,
    permissive: bool,
    enum_value: bool,
) -> Result<(), String> {
    // Enum values may start with a digit: check them as if prefixed.
    let owned;
    let checked = if enum_value && name.starts_with(|c: char| c.is_ascii_digit()) {
        owned = format!("d{name}");
        owned.as_str()
    } else {
        name
    };
    let stem = check_shape(checked)?;
    match kind {
        NameKind::Type => {
            if !is_camel(stem) {
                return Err("type names use CamelCase: an uppercase letter first, at least one lowercase letter, no '-' or '_'".into());
            }
            if name.ends_with("List") {
                return Err("type names must not end in 'List' (reserved for array types)".into());
            }
        }
        NameKind::Event => {
            if stem.bytes().any(|b| b.is_ascii_lowercase() || b == b'-') {
                return Err(
                    "event names use UPPER_CASE: no lowercase letters, '_' between words".into(),
                );
            }
        }
        NameKind::Command => {
            if stem.bytes().any(|b| b.is_ascii_uppercase()) {
                return Err("command names use lowercase letters, digits and '-'".into());
            }
            if !permissive && stem.contains('_') {
                return Err("command names use '-' between words, not '_'".into());
            }
        }
        NameKind::Member => {
            if !permissive && stem.bytes().any(|b| b.is_ascii_uppercase() || b == b'_') {
                return Err("member names use lowercase letters, digits and '-'".into());
            }
        }
    }
    Ok(())
}

/// `[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*`
fn is_camel(stem: &str) -> bool {
    let b = stem.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_uppercase()
        && b.iter().all(|c| c.is_ascii_alphanumeric())
        && b[1..].iter().any(|c| c.is_ascii_lowercase())
}

/// Whether a member name is reserved: `u` (the C union of a union type)
/// and `has-*` / `has_*` (the C presence flags of optional members).
pub(crate) fn is_reserved_member(name: &str) -> bool {
    let b = name.as_bytes();
    name == "u" || (b.len() >= 4 && &b[..3] == b"has" && !(b[3].is_ascii_alphanumeric()))
}

/// Whether two names are the same after [`c_name`] mapping (without
/// building either).
pub(crate) fn c_name_eq(a: &str, b: &str) -> bool {
    let c = |x: u8| {
        if x.is_ascii_alphanumeric() || x == b'_' {
            x
        } else {
            b'_'
        }
    };
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| c(x) == c(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert_eq!(stem("foo"), Some("foo"));
        assert_eq!(stem("x-foo"), Some("foo"));
        assert_eq!(stem("X-foo"), Some("foo"));
        assert_eq!(stem("x-"), Some("x-"));
        assert_eq!(stem("__org.qemu_x-command"), Some("command"));
        assert_eq!(stem("__com.redhat_drive-add"), Some("drive-add"));
        assert_eq!(stem("__a_b_c"), Some("b_c"));
        assert_eq!(stem("__org.qemu_"), None);
        assert_eq!(stem("___a"), None);
        assert_eq!(stem("__A_x"), Some("x"));
        assert_eq!(stem("__a/b_x"), None);
        assert_eq!(stem("1abc"), None);
        assert_eq!(stem("-a"), None);
        assert_eq!(stem("a b"), None);
        assert_eq!(stem("a.b"), None);
        assert_eq!(stem(""), None);
    }

    #[test]
    fn c_names() {
        assert_eq!(c_name("a-b.c_d"), "a_b_c_d");
        assert_eq!(c_name("__org.qemu_x-y"), "__org_qemu_x_y");
    }

    #[test]
    fn shapes_and_reserved() {
        assert!(check_shape("q-foo").is_err());
        assert!(check_shape("q_foo").is_err());
        assert!(check_shape("Q_foo").is_ok());
        assert!(check_shape("qfoo").is_ok());
        assert!(check_shape("").is_err());
        assert!(is_reserved_member("u"));
        assert!(is_reserved_member("has-foo"));
        assert!(is_reserved_member("has_foo"));
        assert!(!is_reserved_member("hash"));
        assert!(!is_reserved_member("uu"));
        assert!(!is_reserved_member("has"));
        assert!(is_reserved_member("has.x"));
        assert!(c_name_eq("a-b", "a_b"));
        assert!(c_name_eq("a.b", "a-b"));
        assert!(!c_name_eq("a-b", "a-c"));
        assert!(!c_name_eq("ab", "a"));
    }

    #[test]
    fn kinds() {
        use NameKind::*;
        let ok = |n, k| check(n, k, false, false).is_ok();
        assert!(ok("BlockInfo", Type));
        assert!(ok("X86CPU2a", Type));
        assert!(ok("__org.qemu_FooBar", Type));
        assert!(!ok("QMP", Type));
        assert!(!ok("blockInfo", Type));
        assert!(!ok("Block_Info", Type));
        assert!(!ok("Block-Info", Type));
        assert!(!ok("BlockInfoList", Type));
        assert!(ok("BLOCK_JOB_READY", Event));
        assert!(ok("X86", Event));
        assert!(!ok("Block", Event));
        assert!(!ok("BLOCK-JOB", Event));
        assert!(ok("query-block", Command));
        assert!(ok("x-query-foo", Command));
        assert!(!ok("query_block", Command));
        assert!(check("query_block", Command, true, false).is_ok());
        assert!(!ok("queryBlock", Command));
        assert!(ok("node-name", Member));
        assert!(!ok("node_name", Member));
        assert!(!ok("nodeName", Member));
        assert!(check("nodeName", Member, true, false).is_ok());
        assert!(check("8bit", Member, false, true).is_ok());
        assert!(!ok("8bit", Member));
        assert!(check("-1", Member, false, true).is_err());
    }
}
