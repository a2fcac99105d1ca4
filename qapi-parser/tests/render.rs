//! The diagnostic renderer on hostile text: tabs, wide characters, long
//! lines. No input may panic it, and the caret must sit under the
//! character it points at.

use qapi_schema_parser::source::{SourceFile, SourceMap};
use qapi_schema_parser::{Diagnostic, Options};

/// The display width of a character in the rendering (tabs become four
/// spaces, control characters U+FFFD; the rest as a terminal shows
/// them).
fn width(c: char) -> usize {
    use unicode_width::UnicodeWidthChar;
    match c {
        '\t' => 4,
        c if c.is_control() => 1,
        c => c.width().unwrap_or(0),
    }
}

/// Renders an error at `range` of a one-file map holding `text`.
fn render(text: &str, range: std::ops::Range<usize>) -> String {
    let mut sources = SourceMap::new();
    let file = SourceFile::new("x.json".into(), "x.json".into(), text.to_string(), None);
    let id = sources.add(file);
    let span = sources.file(id).span(id, range);
    Diagnostic::error(span, "something is wrong")
        .with_label("here")
        .render(&sources)
}

#[test]
fn the_reported_input_renders_with_the_caret_in_place() {
    let text = format!("{}漢\tx{}xx", "\t".repeat(8), "漢".repeat(44));
    // Through the whole front end, as `qapi check` does.
    let errors = qapi_schema_parser::parse_str("x.json", &text, Options::default()).unwrap_err();
    let rendered = errors.to_string();
    assert!(rendered.contains("x.json:1:"), "{rendered}");
    // And at every character of the line: the caret under it.
    for (at, _) in text.char_indices() {
        assert_caret_in_place(&text, at);
    }
}

/// Renders an error at the character at byte `at` of `text` (on its first
/// line) and checks that the caret is under it.
fn assert_caret_in_place(text: &str, at: usize) {
    let c = text[at..].chars().next().expect("a character");
    let out = render(text, at..at + c.len_utf8());
    let lines: Vec<&str> = out.lines().collect();
    let source = lines.iter().position(|l| l.starts_with("1 |")).expect(&out);
    let caret_line = lines[source + 1];
    let caret = caret_line.find('^').expect(&out);
    let shown = lines[source];
    let gutter = "1 | ".len();
    let col = if shown.contains("...") || shown.ends_with('\u{23CE}') {
        // A long line is cut around the span: check the text shown from
        // the caret on.
        continue_with_cut(shown, &text[at..], caret)
    } else {
        gutter + text[..at].chars().map(width).sum::<usize>()
    };
    assert_eq!(caret, col, "at byte {at} ({c:?}):\n{out}");
}

/// The column at which `rest` (the text from the span on) starts on a
/// shown line that was cut: the caret's column, checked by what the line
/// shows from there on.
fn continue_with_cut(shown: &str, rest: &str, caret: usize) -> usize {
    let expanded: String = rest
        .chars()
        .map(|c| match c {
            '\t' => "    ".to_string(),
            c if c.is_control() => '\u{FFFD}'.to_string(),
            c => c.to_string(),
        })
        .collect();
    // The shown text from the caret's column on.
    let mut col = 0;
    let mut from = None;
    for (at, c) in shown.char_indices() {
        if col == caret {
            from = Some(at);
            break;
        }
        col += width(c);
    }
    let from = from.unwrap_or_else(|| panic!("no character at column {caret} of {shown:?}"));
    let tail = shown[from..].strip_suffix("...").unwrap_or(&shown[from..]);
    // A blank line's end is marked.
    let tail = tail.strip_suffix('\u{23CE}').unwrap_or(tail);
    assert!(
        expanded.starts_with(tail),
        "{tail:?} (shown from the caret) does not continue {expanded:?}"
    );
    caret
}

#[test]
fn no_mix_of_tabs_wide_characters_and_text_panics() {
    let pieces = [
        "\t",
        "漢",
        "x",
        " ",
        "é",
        "\t\t",
        "漢漢漢漢",
        "xxxxxxxx",
        "\u{2028}",
        "\u{3000}",
        "\u{85}",
    ];
    // Lines of up to 120 pieces, by a small deterministic generator.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let n = (next() % 120) as usize + 1;
        let mut text: String = (0..n)
            .map(|_| pieces[(next() % pieces.len() as u64) as usize])
            .collect();
        if next() % 3 == 0 {
            text.push('\n');
            text.push_str("\t漢 second line");
        }
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        for _ in 0..8 {
            let a = bounds[(next() % bounds.len() as u64) as usize];
            let b = bounds[(next() % bounds.len() as u64) as usize];
            let out = render(&text, a.min(b)..a.max(b));
            assert!(out.contains('^'), "{out}");
        }
        // Single characters of the first line: the caret in place.
        let first = text.lines().next().unwrap_or("");
        for (at, c) in first.char_indices() {
            if c != ' ' && next() % 4 == 0 {
                assert_caret_in_place(&text, at);
            }
        }
    }
}

/// A short line led by more blanks than the renderer keeps (it trims a
/// run of over 26 columns on its own, caret and all): the caret stays
/// under each character.
#[test]
fn a_short_line_with_long_leading_blanks_keeps_the_caret_in_place() {
    let text = format!("{}x = 1", "\t".repeat(8));
    for (at, _) in text.char_indices() {
        assert_caret_in_place(&text, at);
    }
}

/// A related place on a line the excerpt changed (tabs expanded, long
/// blanks cut) still gets its own position in its `::: file:line:col`
/// header, not one counted in the changed text.
#[test]
fn related_places_keep_their_own_position() {
    let text = format!("a\n{}b\n", "\t".repeat(9));
    let mut sources = SourceMap::new();
    let file = SourceFile::new("x.json".into(), "x.json".into(), text.clone(), None);
    let id = sources.add(file);
    let b = text.find('b').expect("b");
    let out = Diagnostic::error(sources.file(id).span(id, 0..1), "something is wrong")
        .with_related(sources.file(id).span(id, b..b + 1), "related")
        .render(&sources);
    assert!(out.contains("::: x.json:2:10\n"), "{out}");
}
