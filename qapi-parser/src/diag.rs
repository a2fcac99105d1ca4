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

mod excerpt;

use crate::source::{SourceMap, Span};
use annotate_snippets::{Level, Renderer, Snippet};
use excerpt::Excerpt;
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

    /// A note without a location.
    pub fn note_unlocated(message: impl Into<String>) -> Self {
        Self::new(Severity::Note, None, message)
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
        // The shown texts are owned (tabs expanded, long lines cut), and
        // the renderer's snippets borrow them: make them all first.
        let primary = Excerpt::of(sources, span);
        let related: Vec<(Excerpt, &str)> = self
            .related
            .iter()
            .map(|(rspan, rlabel)| (Excerpt::of(sources, *rspan), rlabel.as_str()))
            .collect();
        let mut message = level.title("").snippet(snippet(
            &primary,
            level,
            self.label.as_deref().unwrap_or(""),
            false,
        ));
        for (excerpt, rlabel) in &related {
            message = message.snippet(snippet(excerpt, Level::Info, rlabel, true));
        }
        for note in &self.notes {
            message = message.footer(Level::Note.title(note));
        }
        let rendered = Renderer::plain()
            .term_width(excerpt::RENDER_WIDTH)
            .render(message)
            .to_string();
        // The renderer starts with a bare severity line (the title is
        // empty); our headline replaces it. It also writes each related
        // snippet's `::: file:line:col` from the text it was given, which
        // the excerpt has changed (tabs expanded, long lines cut): the
        // spans' own positions replace them.
        let mut origins = self
            .related
            .iter()
            .map(|(rspan, _)| sources.location(*rspan));
        for line in rendered.lines().skip(1) {
            match (line.find("::: "), line.trim_start().starts_with(":::")) {
                (Some(at), true) => match origins.next() {
                    Some(origin) => {
                        out.push_str(&line[..at + 4]);
                        out.push_str(&origin);
                    }
                    None => out.push_str(line),
                },
                _ => out.push_str(line),
            }
            out.push('\n');
        }
        out
    }
}

/// The renderer's snippet of an excerpt (which holds only the lines the
/// span touches: the whole file would be scanned by the renderer for
/// every diagnostic otherwise).
fn snippet<'a>(
    excerpt: &'a Excerpt,
    level: Level,
    label: &'a str,
    with_origin: bool,
) -> Snippet<'a> {
    let snippet = Snippet::source(&excerpt.text)
        .line_start(excerpt.line)
        .fold(false)
        .annotation(level.span(excerpt.range.clone()).label(label));
    if with_origin {
        snippet.origin(&excerpt.origin)
    } else {
        snippet
    }
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
