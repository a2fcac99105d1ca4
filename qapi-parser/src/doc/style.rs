//! The layout rules of documentation text that QEMU 10.2 added: no line
//! wider than 70 columns, and two spaces between sentences. Literal
//! blocks (after a paragraph ending in `::`, or a `.. qmp-example::`
//! directive) are exempt until the indentation drops back, and so is a
//! line holding only a URL.

use super::Line;
use crate::diag::Diagnostic;
use crate::profile::{Profile, Rule};
use crate::source::Span;

/// The widest documentation line, in columns, counting the `# `.
pub(super) const MAX_COLUMNS: usize = 70;

/// Checks the lines of one documentation comment, by the rules of
/// `profile`.
pub(super) fn check(lines: &[Line<'_>], profile: Profile) -> Result<(), Diagnostic> {
    let width = profile.holds(Rule::DocLineWidth);
    let spacing = profile.holds(Rule::SentenceSpacing);
    if !width && !spacing {
        return Ok(());
    }
    // The indentation of the line that opened the literal block we are
    // in, if any.
    let mut literal: Option<usize> = None;
    for line in lines {
        let text = line.text;
        let indent = text.len() - text.trim_start().len();
        if let Some(opened_at) = literal {
            if text.trim().is_empty() || indent > opened_at {
                continue;
            }
            literal = None;
        }
        if width {
            check_width(line, profile)?;
        }
        if spacing {
            check_spacing(line, profile)?;
        }
        if text.ends_with("::") || text.trim_start().starts_with(".. qmp-example::") {
            literal = Some(indent);
        }
    }
    Ok(())
}

fn check_width(line: &Line<'_>, profile: Profile) -> Result<(), Diagnostic> {
    // Most lines are short in bytes, hence in characters.
    if 2 + line.text.len() <= MAX_COLUMNS {
        return Ok(());
    }
    // "# " and the text (a bare "#" for an empty line).
    let columns = if line.text.is_empty() {
        1
    } else {
        2 + line.text.chars().count()
    };
    let trimmed = line.text.trim();
    let only_a_url = !trimmed.contains(' ')
        && ["http://", "https://", "ftp://"]
            .iter()
            .any(|p| trimmed.starts_with(p));
    if columns <= MAX_COLUMNS || only_a_url {
        return Ok(());
    }
    // Point at what is past the limit.
    let past = line
        .text
        .char_indices()
        .nth(MAX_COLUMNS - 2)
        .map_or(line.text.len(), |(i, _)| i);
    let at = sub_span(line, past, line.text.len());
    Err(Diagnostic::error(
        at,
        format!("documentation line is {columns} columns wide, more than {MAX_COLUMNS}"),
    )
    .with_label("past column 70")
    .with_note("wrap the text (a line holding only a URL may be longer)")
    .with_note(profile.older("QEMU releases before 10.2 had no such limit")))
}

fn check_spacing(line: &Line<'_>, profile: Profile) -> Result<(), Diagnostic> {
    let bytes = line.text.as_bytes();
    // Only the sentence ends are looked at (a memchr scan).
    for i in memchr::memchr3_iter(b'.', b'!', b'?', bytes) {
        let (Some(&space), Some(&next)) = (bytes.get(i + 1), bytes.get(i + 2)) else {
            continue;
        };
        let starts_sentence = next.is_ascii_uppercase() || next.is_ascii_digit() || next == b'(';
        if !(space == b' ' && starts_sentence) {
            continue;
        }
        // QEMU's pattern, `(\be\.g\.|^ *\d\.|([.!?])) [A-Z0-9(]`, lets
        // "e.g. X" and a numbered item "1. X" keep one space.
        let eg = i >= 3 && &bytes[i - 3..=i] == b"e.g." && (i == 3 || !is_word(bytes[i - 4]));
        let numbered = i >= 1
            && bytes[i] == b'.'
            && bytes[i - 1].is_ascii_digit()
            && bytes[..i - 1].iter().all(|&b| b == b' ');
        if eg || numbered {
            continue;
        }
        let at = sub_span(line, i + 1, i + 2);
        return Err(
            Diagnostic::error(at, "one space after the end of a sentence")
                .with_label("use two spaces")
                .with_note(profile.older("QEMU releases before 10.2 had no such rule")),
        );
    }
    Ok(())
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The span of bytes `from..to` of a line's text (which starts two bytes
/// into the line's span, after `# `).
fn sub_span(line: &Line<'_>, from: usize, to: usize) -> Span {
    let offset = 2;
    Span {
        start: line.span.start + (offset + from) as u32,
        end: line.span.start + (offset + to) as u32,
        col: line.span.col + (offset + line.text[..from].chars().count()) as u32,
        ..line.span
    }
}
