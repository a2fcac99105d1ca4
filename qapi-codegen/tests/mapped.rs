//! `Config::map_type` for a type the schema only references: no stub
//! definition is needed in the user's schema.

fn schema_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("qapi-bindgen-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("disks.json"),
        "{ 'struct': 'Disk', 'data': { 'node': 'BlockdevOptions', '*backing': ['BlockdevOptions'] } }\n\
         { 'command': 'add-disk', 'data': { 'disk': 'Disk' }, 'returns': 'BlockdevOptions' }\n",
    )
    .expect("write schema");
    dir
}

#[test]
fn a_mapped_type_the_schema_only_references_needs_no_stub() {
    let dir = schema_dir("mapped");
    let files = qapi_bindgen::Config::new()
        .schema(dir.join("disks.json"))
        .map_type("BlockdevOptions", "::qmp_types::BlockdevOptions")
        .render()
        .unwrap_or_else(|e| panic!("{e}"));
    let text: String = files.iter().map(|f| f.text.as_str()).collect();
    assert!(
        text.contains("pub node: ::qmp_types::BlockdevOptions,"),
        "{text}"
    );
    assert!(
        text.contains("type Returns = ::qmp_types::BlockdevOptions;"),
        "{text}"
    );
    assert!(!text.contains("pub struct BlockdevOptions"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_unmapped_unknown_type_is_still_an_error() {
    let dir = schema_dir("unmapped");
    let err = qapi_bindgen::Config::new()
        .schema(dir.join("disks.json"))
        .render()
        .expect_err("BlockdevOptions is not defined");
    let text = err.to_string();
    assert!(text.contains("disks.json:1:"), "{text}");
    assert!(
        text.contains("uses unknown type 'BlockdevOptions'"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
