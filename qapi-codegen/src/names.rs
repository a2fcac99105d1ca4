//! Rust identifiers for QAPI names.
//!
//! QAPI names may be Rust keywords (`type`, `match`, 2024's `gen`), start
//! with a digit (enum values such as `8bit`), carry a downstream prefix
//! (`__org.qemu_x-command`) or an `x-`. Every identifier the generator
//! emits goes through here.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Keywords that may be used as raw identifiers (`r#type`).
const RAW_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try", "gen",
];

/// Keywords that cannot be raw identifiers: they get a trailing `_`.
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Whether `s` is a keyword of any edition (strict or reserved): what the
/// tests check the two lists against.
#[cfg(test)]
fn is_keyword(s: &str) -> bool {
    RAW_KEYWORDS.contains(&s) || NON_RAW_KEYWORDS.contains(&s)
}

/// Splits off a downstream prefix `__RFQDN_` and turns it into words
/// (`__org.qemu_x-frob` becomes `org-qemu-x-frob`), so that case
/// conversion sees every word.
fn words(name: &str) -> String {
    let mut s = name.to_string();
    if let Some(rest) = s.strip_prefix("__") {
        if let Some(i) = rest.find('_') {
            s = format!("{}-{}", &rest[..i], &rest[i + 1..]);
        }
    }
    s.replace(['.', '_'], "-")
}

/// An identifier that is valid Rust: keywords become raw identifiers
/// (or get a `_` suffix), a leading digit gets a prefix.
fn finish(ident: String, digit_prefix: &str) -> String {
    let ident = if ident.is_empty() {
        "_".to_string()
    } else {
        ident
    };
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("{digit_prefix}{ident}");
    }
    if NON_RAW_KEYWORDS.contains(&ident.as_str()) {
        return format!("{ident}_");
    }
    if RAW_KEYWORDS.contains(&ident.as_str()) {
        return format!("r#{ident}");
    }
    ident
}

/// A field (or module) name: snake_case. `node-name` becomes
/// `node_name`, `type` becomes `r#type`, `8bit` becomes `_8bit`.
pub(crate) fn field(name: &str) -> String {
    // heck splits "x86_64" into "x86_64"; "camelCase" into "camel_case".
    finish(words(name).to_snake_case(), "_")
}

/// A type, variant, command or event name: UpperCamelCase.
/// `query-status` becomes `QueryStatus`, `BLOCK_JOB_READY` becomes
/// `BlockJobReady`, the enum value `8bit` becomes `V8bit`.
pub(crate) fn camel(name: &str) -> String {
    let w = words(name);
    // All-caps names (events) are lowered first so that heck does not
    // read each letter as a word.
    let w = if w.bytes().any(|b| b.is_ascii_lowercase()) {
        w
    } else {
        w.to_ascii_lowercase()
    };
    finish(w.to_upper_camel_case(), "V")
}

/// A QAPI type name as a Rust type name. QAPI type names are already
/// CamelCase and users know them from QEMU's documentation, so they are
/// kept as they are (`X86CPUFeatureWordInfo` stays); only names that are
/// not valid identifiers (downstream prefixes) are converted.
pub(crate) fn type_name(name: &str) -> String {
    if name.bytes().all(|b| b.is_ascii_alphanumeric())
        && name.starts_with(|c: char| c.is_ascii_uppercase())
    {
        finish(name.to_string(), "T")
    } else {
        camel(name)
    }
}

/// A Rust module name for a QAPI module: `block-core` becomes
/// `block_core`, `../../qapi/job` becomes `qapi_job`. The file is the
/// name without any `r#`.
pub(crate) fn module(name: &str) -> String {
    let cleaned: Vec<&str> = name
        .split('/')
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .collect();
    field(&cleaned.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        assert_eq!(field("node-name"), "node_name");
        assert_eq!(field("type"), "r#type");
        assert_eq!(field("gen"), "r#gen");
        assert_eq!(field("match"), "r#match");
        assert_eq!(field("async"), "r#async");
        assert_eq!(field("self"), "self_");
        assert_eq!(field("super"), "super_");
        assert_eq!(field("crate"), "crate_");
        assert_eq!(field("8bit"), "_8bit");
        assert_eq!(field("x-perf"), "x_perf");
        assert_eq!(field("x86_64"), "x86_64");
        assert_eq!(field("camelCase"), "camel_case");
        assert_eq!(field("ACPI_SLEEP"), "acpi_sleep");
        assert_eq!(field("__com.redhat_drive-add"), "com_redhat_drive_add");
        assert_eq!(field("a.b"), "a_b");
    }

    #[test]
    fn camels() {
        assert_eq!(camel("query-status"), "QueryStatus");
        assert_eq!(camel("BLOCK_JOB_READY"), "BlockJobReady");
        assert_eq!(camel("x-query-foo"), "XQueryFoo");
        assert_eq!(camel("__org.qemu_x-command"), "OrgQemuXCommand");
        assert_eq!(camel("8bit"), "V8bit");
        assert_eq!(camel("aes-128"), "Aes128");
        assert_eq!(camel("Self"), "Self_");
        assert_eq!(camel("qcow2"), "Qcow2");
        assert_eq!(camel("null-co"), "NullCo");
        assert_eq!(camel("x86_64"), "X8664");
        assert_eq!(camel("SHUTDOWN"), "Shutdown");
    }

    #[test]
    fn types_keep_their_schema_names() {
        assert_eq!(type_name("X86CPUFeatureWordInfo"), "X86CPUFeatureWordInfo");
        assert_eq!(type_name("BlockInfo"), "BlockInfo");
        assert_eq!(type_name("__org.qemu_FooBar"), "OrgQemuFooBar");
        assert_eq!(type_name("Result"), "Result");
    }

    #[test]
    fn keywords() {
        for k in RAW_KEYWORDS.iter().chain(NON_RAW_KEYWORDS) {
            assert!(is_keyword(k));
            let f = field(k);
            assert!(f.starts_with("r#") || f.ends_with('_'), "{k} -> {f}");
            // The result parses as an identifier.
            syn::parse_str::<syn::Ident>(&f).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
        assert!(!is_keyword("types"));
    }

    #[test]
    fn modules() {
        assert_eq!(module("block-core"), "block_core");
        assert_eq!(module("../../qapi/job"), "qapi_job");
        assert_eq!(module("qapi-schema"), "qapi_schema");
        assert_eq!(module("sub/colors"), "sub_colors");
        assert_eq!(module("type"), "r#type");
    }
}
