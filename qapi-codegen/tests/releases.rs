//! What a release history tells the generator: a default branch for a
//! union older servers sent without its tag (and the error for a branch
//! that is not one of its values), and when items came.

fn schema_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("qapi-bindgen-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("sev.json"),
        "{ 'enum': 'Kind', 'data': [ 'plain', 'fancy' ] }\n\
         { 'struct': 'Fancy', 'data': { 'level': 'int' } }\n\
         { 'union': 'Info', 'base': { 'enabled': 'bool', 'kind': 'Kind' },\n\
           'discriminator': 'kind', 'data': { 'fancy': 'Fancy' } }\n\
         { 'command': 'query-info', 'returns': 'Info' }\n",
    )
    .expect("write schema");
    dir
}

#[test]
fn a_default_branch_is_written_into_the_union() {
    let dir = schema_dir("default-branch");
    let files = qapi_bindgen::Config::new()
        .schema(dir.join("sev.json"))
        .default_branch("Info", "plain", "before release 2")
        .released_in("query-info", "2.0")
        .render()
        .unwrap_or_else(|e| panic!("{e}"));
    let text: String = files.iter().map(|f| f.text.as_str()).collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(text.contains("default Plain,"), "{text}");
    assert!(
        text.contains("(before release 2) is read as `plain`"),
        "{text}"
    );
    assert!(
        text.contains("Since QEMU 2.0 (from the release history)."),
        "{text}"
    );
    assert!(text.contains("const FIRST_RELEASE"), "{text}");
    assert!(text.contains("\"2.0\""), "{text}");
}

#[test]
fn a_default_branch_that_is_not_a_value_is_an_error() {
    let dir = schema_dir("bad-default-branch");
    let err = qapi_bindgen::Config::new()
        .schema(dir.join("sev.json"))
        .default_branch("Info", "shiny", "before release 2")
        .render()
        .expect_err("refused");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        err.to_string(),
        "configuration: the default branch 'shiny' of union 'Info' is not a value of its discriminator"
    );
}

#[test]
fn a_removed_command_is_generated_deprecated_with_its_last_release() {
    let dir = schema_dir("removed");
    let options = qapi_schema_parser::Options::default();
    let old = qapi_schema_parser::parse_str(
        dir.join("old.json"),
        "{ 'struct': 'Text', 'data': { 'text': 'str' } }\n\
         { 'command': 'x-query-gone', 'returns': 'Text' }\n\
         { 'event': 'GONE', 'data': { 'why': 'str' } }\n",
        options,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut schema = qapi_schema_parser::parse_str(
        dir.join("new.json"),
        "{ 'struct': 'Text', 'data': { 'text': 'str' } }\n\
         { 'command': 'x-query-here', 'returns': 'Text' }\n",
        options,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    schema
        .adopt(&old, "release 1", &["x-query-gone", "GONE"])
        .unwrap_or_else(|e| panic!("{e}"));
    let files = qapi_bindgen::Config::new()
        .removed_in("x-query-gone", "1.0", "1.1")
        .removed_in("GONE", "1.0", "1.1")
        .render_schema(&schema)
        .unwrap_or_else(|e| panic!("{e}"));
    let text: String = files.iter().map(|f| f.text.as_str()).collect();
    for expected in [
        "pub struct XQueryGone;",
        "pub struct Gone {",
        "**Removed in QEMU 1.1:** servers of 1.1 and later do not have it (they answer `CommandNotFound`).",
        "(`x-query-gone`, removed in QEMU 1.1)",
        "const LAST_RELEASE: ::std::option::Option<&'static str> = ::std::option::Option::Some(",
        // The shared type is the new schema's, once.
        "type Returns = super::super::Text;",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
    assert_eq!(text.matches("pub struct Text {").count(), 1, "{text}");
    // Both carry the removal, right before their derives.
    let note =
        "#[deprecated(note = \"removed in QEMU 1.1 (the last release that has it is 1.0)\")]";
    assert_eq!(text.matches(note).count(), 2, "{text}");
}
