use super::*;
use crate::source::SourceMap;

fn spec(text: &str) -> (Parsed, SourceMap) {
    let mut sources = SourceMap::new();
    let id = sources.add(SourceFile::new(
        "events.txt".into(),
        "events.txt".into(),
        text.to_string(),
        None,
    ));
    let parsed = parse(id, sources.file(id));
    (parsed, sources)
}

fn headlines(d: &[Diagnostic], sources: &SourceMap) -> Vec<String> {
    d.iter().map(|d| d.headline(sources)).collect()
}

const GOOD: &str = "\
                   QEMU Machine Protocol Events
                   ============================

BLOCK_JOB_DONE
--------------

Emitted when a block job is done.
Second line of the paragraph.

Another paragraph.

Data:

- \"type\":     Job type (json-string; \"stream\" for image streaming
                                     \"commit\" for block commit)
- \"device\":   Device name (json-string)
- \"len\":      Maximum progress value (json-int, optional)
- \"offset\": Offset between base RTC clock and
new RTC clock value (json-number)
- \"server\": Server information (json-object)
  - \"host\": IP address (json-string)
  - \"auth\": authentication method (json-string, optional)
- \"error\":  (json-string, optional) with a (parenthesis) after it
- \"bare\": no type at all

Example:

{ \"event\": \"BLOCK_JOB_DONE\",
    \"data\": { \"type\": \"stream\", \"device\": \"d\", \"offset\": 1.5,
              \"server\": { \"host\": \"h\" }, \"list\": [1, -2, true, null] },
    \"timestamp\": { \"seconds\": 1267061043, \"microseconds\": 959568 } }

Note: If action is \"stop\", a STOP event will eventually follow the
BLOCK_IO_ERROR event.

STOP
----

Emitted when the Virtual Machine is stopped.

Data: None.

Example:

{ \"event\": \"STOP\",
    \"timestamp\": { \"seconds\": 1267041730, \"microseconds\": 281295 } }";

#[test]
fn reads_every_part_of_an_entry() {
    let (p, _) = spec(GOOD);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.events.len(), 2);
    let e = &p.events[0];
    assert_eq!(e.name, "BLOCK_JOB_DONE");
    assert_eq!((e.span.line, e.span.col), (4, 1));
    assert_eq!(
        e.description,
        "Emitted when a block job is done.\nSecond line of the paragraph.\n\nAnother paragraph."
    );
    assert_eq!(e.data_none, None);
    let names: Vec<_> = e.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["type", "device", "len", "offset", "server", "error", "bare"]
    );
    let ty = |i: usize| e.members[i].json_type.as_deref();
    assert_eq!(
        (0..7).map(ty).collect::<Vec<_>>(),
        [
            Some("string"),
            Some("string"),
            Some("int"),
            Some("number"),
            Some("object"),
            Some("string"),
            None
        ]
    );
    let optional: Vec<_> = e.members.iter().map(|m| m.optional).collect();
    assert_eq!(optional, [false, false, true, false, false, true, false]);
    // A type note over two lines; a description continued at column 1.
    assert!(
        e.members[0]
            .description
            .ends_with("\"commit\" for block commit)")
    );
    assert!(e.members[3].description.contains("\nnew RTC clock value"));
    let server = &e.members[4];
    let nested: Vec<_> = server
        .members
        .iter()
        .map(|m| (m.name.as_str(), m.optional))
        .collect();
    assert_eq!(nested, [("host", false), ("auth", true)]);
    assert_eq!(
        (server.members[0].span.line, server.members[0].span.col),
        (21, 6)
    );
    assert_eq!(
        e.notes[0].text,
        "If action is \"stop\", a STOP event will eventually follow the\nBLOCK_IO_ERROR event."
    );
    assert_eq!((e.notes[0].span.line, e.notes[0].span.col), (33, 1));
    let paragraphs: Vec<_> = e
        .description_spans
        .iter()
        .map(|s| (s.line, s.end - s.start))
        .collect();
    assert_eq!(paragraphs, [(7, 63), (10, 18)]);
    assert_eq!(e.examples.len(), 1);
    let ex = &e.examples[0];
    assert!(!ex.repaired);
    assert_eq!(ex.json.as_deref(), Some(ex.text.as_str()));
    assert_eq!((ex.span.line, ex.span.col), (28, 1));
    let tree = ex.tree.as_ref().unwrap();
    let data = tree.get("data").unwrap();
    assert_eq!(data.get("offset").unwrap().kind(), "a number");
    assert_eq!((data.span.line, data.span.col), (29, 13));
    let stop = &p.events[1];
    assert_eq!(stop.name, "STOP");
    assert!(stop.data_none.is_some() && stop.members.is_empty());
    assert_eq!(stop.examples.len(), 1);
}

#[test]
fn missing_commas_are_reported_and_put_back() {
    let text = "EV\n--\n\n{ \"event\": \"EV\"\n  \"data\": { \"a\": 1 \"b\": [1 , 2] }\n  \"timestamp\": { \"seconds\": 1, \"microseconds\": 2 } }\n";
    let (p, sources) = spec(text);
    assert_eq!(
        headlines(&p.diagnostics, &sources),
        [
            "events.txt:4:16: warning: missing ',' in the example of 'EV'",
            "events.txt:5:19: warning: missing ',' in the example of 'EV'",
            "events.txt:5:34: warning: missing ',' in the example of 'EV'",
        ]
    );
    let ex = &p.events[0].examples[0];
    assert!(ex.repaired);
    assert_eq!(
        ex.json.as_deref(),
        Some(
            "{ \"event\": \"EV\",\n  \"data\": { \"a\": 1, \"b\": [1 , 2] },\n  \"timestamp\": { \"seconds\": 1, \"microseconds\": 2 } }"
        )
    );
}

#[test]
fn a_stray_brace_is_reported_and_ignored() {
    let text = "EV\n--\n\n{ \"event\": \"EV\" }\n}\n\nNEXT\n----\n";
    let (p, sources) = spec(text);
    assert_eq!(
        headlines(&p.diagnostics, &sources),
        ["events.txt:5:1: warning: stray '}' in the entry of 'EV'"]
    );
    assert_eq!(p.events.len(), 2);
    assert_eq!(p.events[0].examples.len(), 1);
    assert_eq!(p.events[0].description, "");
}

#[test]
fn data_none_followed_by_members_takes_the_members() {
    let text = "MIGRATION\n---------\n\nData: None.\n\n - \"status\": migration status\n     See MigrationStatus\n";
    let (p, sources) = spec(text);
    assert_eq!(
        headlines(&p.diagnostics, &sources),
        [
            "events.txt:6:5: warning: 'Data: None.' but the entry of 'MIGRATION' goes on to list member 'status'"
        ]
    );
    let e = &p.events[0];
    assert_eq!(e.data_none, None);
    assert_eq!(e.members.len(), 1);
    assert_eq!(
        e.members[0].description,
        "migration status\nSee MigrationStatus"
    );
    assert_eq!(e.members[0].json_type, None);
    assert_eq!(p.diagnostics[0].related[0].0.line, 4);
}

#[test]
fn an_example_that_is_not_json_is_kept_as_text() {
    let text = "EV\n--\n\n{ \"event\": EV,\n  \"data\": {} }\n\nNote: after.\n";
    let (p, sources) = spec(text);
    assert_eq!(
        headlines(&p.diagnostics, &sources),
        ["events.txt:4:1: warning: example of 'EV' is not valid JSON"]
    );
    let ex = &p.events[0].examples[0];
    assert_eq!(ex.json, None);
    assert_eq!(ex.text, "{ \"event\": EV,\n  \"data\": {} }");
    assert_eq!(p.events[0].notes[0].text, "after.");
}

#[test]
fn an_example_of_another_event_and_a_second_entry_are_reported() {
    let text = "EV\n--\n\n{ \"event\": \"OTHER\" }\n\nEV\n--\n";
    let (p, sources) = spec(text);
    assert_eq!(
        headlines(&p.diagnostics, &sources),
        [
            "events.txt:4:12: warning: the example of 'EV' is an event 'OTHER'",
            "events.txt:6:1: warning: event 'EV' is described twice",
        ]
    );
}

#[test]
fn any_text_parses() {
    for text in [
        "",
        "\n",
        "no events here",
        "EV\n--",
        "EV\n--\nData:",
        "EV\n--\n- \"a\": (json-int",
        "EV\n--\n{",
        "EV\n--\n{ \"a\": [1, 2",
        "EV\n--\n}\n]",
        "EV\n--\r\n\r\nData: None.\r\n",
        "EV\n--\n  - \"x\": deeper first\n- \"y\": shallower",
        "- \"orphan\": member before any event\nEV\n--\n",
    ] {
        let (p, _) = spec(text);
        assert!(
            p.diagnostics
                .iter()
                .all(|d| !d.message.contains("cannot be read")),
            "{text:?}: {:?}",
            p.diagnostics
        );
    }
    // Members whose indentation goes back out nest by indentation alone.
    let (p, _) = spec("EV\n--\n  - \"x\": deeper first\n- \"y\": shallower\n");
    let names: Vec<_> = p.events[0].members.iter().map(|m| &m.name).collect();
    assert_eq!(names, ["x", "y"]);
}

/// Mangled versions of a real-looking file (characters deleted, or
/// replaced by the characters the grammar cares about) parse without a
/// panic and without losing the ability to read (every text parses).
#[test]
fn mangled_text_never_panics() {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let specials = [
        '{', '}', '[', ']', '"', ',', ':', '-', '\n', ' ', '(', ')', '\\',
    ];
    for _ in 0..1000 {
        let mut text: Vec<char> = GOOD.chars().collect();
        for _ in 0..1 + next(4) {
            let at = next(text.len());
            if next(2) == 0 {
                text.remove(at);
            } else {
                text[at] = specials[next(specials.len())];
            }
        }
        let text: String = text.into_iter().collect();
        let (p, _) = spec(&text);
        assert!(
            p.diagnostics
                .iter()
                .all(|d| !d.message.contains("cannot be read")),
            "{text}"
        );
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!("EV\n--\n\n{}\n", "{\"a\": ".repeat(100_000));
    let (p, sources) = spec(&text);
    assert_eq!(
        headlines(&p.diagnostics, &sources),
        ["events.txt:4:385: error: brackets nested more than 64 levels deep"]
    );
    assert!(p.events.is_empty());
    // Brackets inside strings do not count; 64 levels are fine.
    let text = format!(
        "EV\n--\n\n{{ \"event\": \"EV\", \"x\": \"{}\", \"data\": {}1{} }}\n",
        "{".repeat(200),
        "[".repeat(62),
        "]".repeat(62)
    );
    let (p, _) = spec(&text);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.events[0].examples.len(), 1);
}

#[test]
fn strings_are_unescaped() {
    assert_eq!(unquote(r#""a\"b\\c\n\u00e9""#), "a\"b\\c\né");
    assert_eq!(unquote(r#""bad \uZZZZ""#), "bad \u{fffd}");
}

mod merge {
    use super::*;
    use crate::{Options, parse_str};

    const SCHEMA: &str = "
{ 'enum': 'Action', 'data': [ 'stop', 'report' ] }
{ 'struct': 'Server', 'data': { 'host': 'str', '*port': 'int' } }
{ 'event': 'EV', 'data': { 'action': 'Action', '*reason': 'str', 'count': 'int',
                           'server': 'Server', 'extra': 'bool' } }
{ 'event': 'QUIET' }
{ 'event': 'SCHEMA_ONLY' }
";

    const SPEC: &str = "\
EV
--

Data:

- \"action\": what (json-string)
- \"reason\": why (json-string)
- \"count\": how many (json-string, optional)
- \"server\": server (json-object)
  - \"host\": host (json-string)
  - \"name\": name (json-string)
- \"ghost\": not in the schema (json-int)

Example:

{ \"event\": \"EV\",
  \"data\": { \"action\": \"explode\", \"count\": 1.5, \"server\": { \"port\": 1 },
            \"extra\": true, \"more\": 1 },
  \"timestamp\": { \"seconds\": 1, \"microseconds\": 2 } }

QUIET
-----

Data: None.

{ \"event\": \"QUIET\", \"data\": {} }

SPEC_ONLY
---------

Data: None.
";

    #[test]
    fn every_disagreement_is_located() {
        let mut schema = parse_str("s.json", SCHEMA, Options::default()).unwrap();
        let id = schema.sources.add(SourceFile::new(
            "events.txt".into(),
            "events.txt".into(),
            SPEC.into(),
            None,
        ));
        let parsed = parse(id, schema.sources.file(id));
        assert!(parsed.diagnostics.is_empty());
        let found = merge(&mut schema, parsed.events);
        insta::assert_snapshot!(
            found
                .iter()
                .map(|d| d.render(&schema.sources))
                .collect::<String>()
        );
        // The entries are attached to the events of the same name.
        let ev = schema.lookup("EV").unwrap();
        assert_eq!(ev.events_spec.as_ref().unwrap().members.len(), 5);
        assert!(schema.lookup("QUIET").unwrap().events_spec.is_some());
        assert!(schema.lookup("SCHEMA_ONLY").unwrap().events_spec.is_none());
    }

    #[test]
    fn an_unreadable_spec_is_an_error_that_says_so() {
        let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/tests/geometry.json");
        let missing = concat!(env!("CARGO_MANIFEST_DIR"), "/no-such-dir/qmp-events.txt");
        let err = crate::parse_with_events_spec(schema, missing, Options::default()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("cannot read events spec") && text.contains("no-such-dir"),
            "{text}"
        );
        // Nor is one nested too deeply to parse safely.
        let deep = std::env::temp_dir().join(format!("deep-events-{}.txt", std::process::id()));
        std::fs::write(&deep, format!("EV\n--\n\n{}\n", "[".repeat(1000))).unwrap();
        let err = crate::parse_with_events_spec(schema, &deep, Options::default()).unwrap_err();
        let _ = std::fs::remove_file(&deep);
        assert!(
            err.to_string().contains("nested more than 64 levels"),
            "{err}"
        );
        // A directory is not a spec either.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let err = crate::parse_with_events_spec(schema, dir, Options::default()).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }
}
