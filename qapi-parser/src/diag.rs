//! Diagnostics: errors, warnings and notes with exact locations.
//!
//! A diagnostic renders as
//!
//! ```text
//! schema/x.json:2:18: error: member 'a' uses unknown type 'Bar'
//!   in file included from schema/main.json:3:1
//!   |
//! 2 |   'data': { 'a': 'Bar' } }
//!   |                  ^^^^^ not defined anywhere in the schema
//! ```
//!
//! The first line is the machine-friendly `path:line:col: severity: message`
//! form that editors and CI logs understand; the excerpt below it is drawn by
//! `annotate-snippets`, the renderer rustc uses.

use crate::source::{SourceMap, Span};
use annotate_snippets::{Level, Renderer, Snippet};
use serde::Serialize;
use std::fmt;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The schema is invalid.
    Error,
    /// The schema is valid, but something is probably wrong.
    Warning,
    /// Information, such as a legacy construct that was accepted.
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// One message about a location in the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, in one line.
    pub message: String,
    /// Where it is wrong; `None` only for errors that have no location,
    /// such as a root file that cannot be read.
    pub span: Option<Span>,
    /// A short label drawn under the caret. (A boxed `str` keeps the
    /// diagnostic small: it travels in the `Err` of every check.)
    pub label: Option<Box<str>>,
    /// Other places that matter (for example a previous definition).
    pub related: Vec<(Span, String)>,
    /// Extra explanation, one line each.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, Some(span), message)
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, Some(span), message)
    }

    /// A note at `span`.
    pub fn note(span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, Some(span), message)
    }

    /// An error without a location.
    pub fn error_unlocated(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, None, message)
    }

    fn new(severity: Severity, span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            message: message.into(),
            span,
            label: None,
            related: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds the label drawn under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into().into_boxed_str());
        self
    }

    /// Adds a related location.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the file of the diagnostic's spans (for diagnostics about one
    /// file made before the file had its final id).
    pub(crate) fn assign_file(&mut self, file: crate::source::FileId) {
        if let Some(s) = &mut self.span {
            s.file = file;
        }
        for (s, _) in &mut self.related {
            s.file = file;
        }
    }

    /// `path:line:col: severity: message`, the first line of the rendering.
    pub fn headline(&self, sources: &SourceMap) -> String {
        match self.span {
            Some(span) => format!(
                "{}: {}: {}",
                sources.location(span),
                self.severity,
                self.message
            ),
            None => format!("{}: {}", self.severity, self.message),
        }
    }

    /// The full rendering: headline, include chain, source excerpt, notes.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = self.headline(sources);
        out.push('\n');
        let Some(span) = self.span else {
            for note in &self.notes {
                out.push_str(&format!("  = note: {note}\n"));
            }
            return out;
        };
        for inc in sources.include_chain(span.file) {
            out.push_str(&format!(
                "  in file included from {}\n",
                sources.location(inc)
            ));
        }
        let level = match self.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Note => Level::Note,
        };
        let primary = excerpt(
            sources,
            span,
            level,
            self.label.as_deref().unwrap_or(""),
            false,
        );
        let mut message = level.title("").snippet(primary);
        for (rspan, rlabel) in &self.related {
            message = message.snippet(excerpt(sources, *rspan, Level::Info, rlabel, true));
        }
        for note in &self.notes {
            message = message.footer(Level::Note.title(note));
        }
        let rendered = Renderer::plain().render(message).to_string();
        // The renderer starts with a bare severity line (the title is
        // empty); our headline replaces it.
        for line in rendered.lines().skip(1) {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// A snippet holding only the lines a span touches (the whole file would
/// be scanned by the renderer for every diagnostic otherwise).
fn excerpt<'a>(
    sources: &'a SourceMap,
    span: Span,
    level: Level,
    label: &'a str,
    with_origin: bool,
) -> Snippet<'a> {
    let file = sources.file(span.file);
    let first = file.line_range(span.line);
    let (end_line, _) = file.line_col(span.end as usize);
    let last = file.line_range(end_line.max(span.line));
    let text = &file.text[first.start..last.end];
    let start = span.start as usize - first.start;
    let end = (span.end as usize - first.start).min(text.len()).max(start);
    // A zero-width span (end of file, missing token) still gets a caret.
    let (start, end) = if start == end {
        let next = text[start..].chars().next().map_or(0, char::len_utf8);
        (start, start + next)
    } else {
        (start, end)
    };
    let mut snippet = Snippet::source(text)
        .line_start(span.line as usize)
        .fold(false)
        .annotation(level.span(start..end).label(label));
    if with_origin {
        snippet = snippet.origin(&file.display);
    }
    snippet
}

/// The diagnostics of a failed run, with the sources they point into, so
/// that they can be rendered on their own.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Errors {
    /// The diagnostics, errors first in source order, then warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// The files they refer to.
    pub sources: SourceMap,
}

impl Errors {
    /// Number of errors (not counting warnings and notes).
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// The headlines only, one per diagnostic (handy in tests).
    pub fn headlines(&self) -> Vec<String> {
        self.diagnostics
            .iter()
            .map(|d| d.headline(&self.sources))
            .collect()
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            f.write_str(&d.render(&self.sources))?;
        }
        let n = self.error_count();
        write!(f, "{n} error{} found", if n == 1 { "" } else { "s" })
    }
}
