//! The text a diagnostic shows: the lines its span touches, made safe to
//! draw.
//!
//! The renderer (annotate-snippets 0.11) counts a tab as four columns in
//! some places and as one character in others, and mixes display widths
//! with character counts when it cuts a long line; on a line of tabs and
//! wide characters that misplaces the caret, and in debug builds panics
//! on a subtraction overflow. So the renderer never sees a tab or a line
//! it would cut: tabs become four spaces, control characters become
//! U+FFFD, and a line wider than [`MAX_WIDTH`] columns is cut here, by
//! display width, around the part of the span it holds, with `...` marking
//! each cut. What reaches the renderer then fits its window, and it draws
//! the line as it is.

use crate::source::{SourceMap, Span};
use unicode_width::UnicodeWidthChar;

/// The widest line shown, in terminal columns.
pub(super) const MAX_WIDTH: usize = 120;

/// Columns kept before the span on a cut line, so that the reader sees
/// some context.
const LEAD: usize = 40;

/// Leading blank columns beyond which the renderer would trim a line
/// (its own limit is 26: 20 plus its padding of 6).
const LONG_BLANK: usize = 20;

/// Columns kept before the span on a line cut in its leading blanks.
const BLANK_LEAD: usize = 8;

/// Where a blank excerpt ends.
const BLANK_END: char = '\u{23CE}';

/// Columns a tab is shown as.
const TAB: usize = 4;

/// A terminal width for the renderer that no line handed to it reaches:
/// it must never cut a line itself.
pub(super) const RENDER_WIDTH: usize = 1 << 20;

/// The lines of a span, as shown, and where the span is in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Excerpt {
    /// The shown text (one or more lines).
    pub text: String,
    /// Line number of its first line.
    pub line: usize,
    /// The span, as byte offsets into `text`.
    pub range: std::ops::Range<usize>,
    /// The file's display name.
    pub origin: String,
}

impl Excerpt {
    /// The lines `span` touches, with the span mapped into them.
    pub(super) fn of(sources: &SourceMap, span: Span) -> Self {
        let file = sources.file(span.file);
        let first = file.line_range(span.line);
        let (end_line, _) = file.line_col(span.end as usize);
        let last = file.line_range(end_line.max(span.line));
        let raw = &file.text[first.start..last.end.max(first.start)];
        let start = (span.start as usize)
            .saturating_sub(first.start)
            .min(raw.len());
        let end = (span.end as usize)
            .saturating_sub(first.start)
            .clamp(start, raw.len());
        // A zero-width span (end of file, missing token) still gets a
        // caret: it covers the next character when there is one.
        let end = if start == end {
            start + raw[start..].chars().next().map_or(0, char::len_utf8)
        } else {
            end
        };
        let (text, range) = show(raw, start..end);
        Excerpt {
            text,
            line: span.line as usize,
            range,
            origin: file.display.clone(),
        }
    }
}

/// Display width of a character as shown (after tab expansion and control
/// replacement).
fn width(c: char) -> usize {
    match c {
        '\t' => TAB,
        c if c.is_control() => 1,
        c => c.width().unwrap_or(0),
    }
}

/// `raw`'s lines made safe to draw, and `range` mapped into the result.
fn show(raw: &str, range: std::ops::Range<usize>) -> (String, std::ops::Range<usize>) {
    let mut out = String::with_capacity(raw.len());
    let (mut start, mut end) = (None, None);
    let mut base = 0;
    for line in raw.split_inclusive('\n') {
        let (body, ending) = match line.strip_suffix('\n') {
            Some(b) => match b.strip_suffix('\r') {
                Some(b) => (b, "\r\n"),
                None => (b, "\n"),
            },
            None => (line, ""),
        };
        // The part of the span on this line, relative to it.
        let lo = range.start.clamp(base, base + body.len()) - base;
        let hi = range.end.clamp(base, base + body.len()) - base;
        let window = window(body, lo..hi);
        let shown = cut(body, window, lo..hi, &mut out);
        if (base..=base + body.len()).contains(&range.start) && start.is_none() {
            start = Some(shown.0);
        }
        if (base..=base + body.len()).contains(&range.end) {
            end = Some(shown.1);
        }
        out.push_str(ending);
        base += line.len();
    }
    let start = start.unwrap_or(out.len());
    let end = end.unwrap_or(out.len()).max(start);
    // The renderer trims all the leading blanks of an excerpt that is
    // blank throughout (and the caret with them): the end of such an
    // excerpt is marked, which also shows where the blanks end.
    if out.chars().all(char::is_whitespace) {
        let at = out.trim_end_matches(['\r', '\n']).len();
        out.insert(at, BLANK_END);
    }
    (out, start..end)
}

/// The columns of `body` to show, given the part of the span on it.
fn window(body: &str, focus: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let columns = |to: usize| body[..to].chars().map(width).sum::<usize>();
    let total = columns(body.len());
    // The renderer trims a long run of leading whitespace on its own, by
    // its own count (a tab is four, any other blank one), even when the
    // span is inside it: such a line is cut here instead, so that it
    // reaches the renderer starting with `...` or short enough.
    let blanks: usize = body
        .chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { TAB } else { 1 })
        .sum();
    let long_blank = blanks > LONG_BLANK && body.chars().any(|c| !c.is_whitespace());
    if total <= MAX_WIDTH && !long_blank {
        return 0..total;
    }
    let (from, to) = (columns(focus.start), columns(focus.end));
    // Room for the two `...` marks.
    let room = MAX_WIDTH - 6;
    let left = match (long_blank, to <= room) {
        (false, true) => 0,
        (true, true) => {
            if from < BLANK_LEAD {
                // The span is at the start of the run: show the start only.
                return 0..(to + BLANK_LEAD).min(total);
            }
            let indent = columns(body.len() - body.trim_start().len());
            from.min(indent).saturating_sub(BLANK_LEAD).max(1)
        }
        (_, false) => {
            let left = from.saturating_sub(LEAD).min(total.saturating_sub(room));
            // A line cut on the left starts with `...`, which the renderer
            // does not trim.
            if long_blank {
                left.max(from.min(1))
            } else {
                left
            }
        }
    };
    left..(left + room).min(total)
}

/// Appends the columns `window` of `body` to `out` (with `...` where cut),
/// and returns where the byte offsets `focus` of `body` landed in `out`.
/// Characters straddling a window edge are left out.
fn cut(
    body: &str,
    window: std::ops::Range<usize>,
    focus: std::ops::Range<usize>,
    out: &mut String,
) -> (usize, usize) {
    // The offset in `out` of each byte offset of `body`; a byte inside a
    // character maps where the character's end does.
    let cut_left = window.start > 0;
    if cut_left {
        out.push_str("...");
    }
    let mut col = 0;
    let mut map = Vec::with_capacity(body.len() + 1);
    let mut last = out.len();
    for (at, c) in body.char_indices() {
        while map.len() < at {
            map.push(last);
        }
        let w = width(c);
        let inside = col >= window.start && col + w <= window.end;
        map.push(out.len());
        if inside {
            match c {
                '\t' => out.extend(std::iter::repeat_n(' ', TAB)),
                c if c.is_control() => out.push('\u{FFFD}'),
                c => out.push(c),
            }
        }
        last = out.len();
        col += w;
    }
    while map.len() <= body.len() {
        map.push(last);
    }
    if window.end < col {
        out.push_str("...");
    }
    (map[focus.start], map[focus.end])
}
