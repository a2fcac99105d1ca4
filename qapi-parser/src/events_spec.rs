//! The legacy events spec: `docs/qmp/qmp-events.txt`.
//!
//! Until QEMU 2.5 the events were documented in a text file beside the
//! schema, one section per event: a description, a `Data:` list of
//! members with their JSON types, notes and example messages. This module
//! reads that file ([`parse`], with the grammar in `events.pest`), and
//! [`merge`] attaches each entry to the schema's event of the same name
//! and cross-checks the two, reporting every disagreement located in both
//! files.
//!
//! The file was written by hand and never machine-checked, so it has
//! mistakes. Those the grammar can recognise (a missing comma in an
//! example, a stray closing brace, `Data: None.` followed by members) are
//! reported as warnings and repaired where the intent is clear.
//!
//! ```no_run
//! let options = qapi_schema_parser::Options { legacy: true, ..Default::default() };
//! let schema = qapi_schema_parser::parse_with_events_spec(
//!     "qemu-2.4/qapi-schema.json",
//!     "qemu-2.4/docs/qmp/qmp-events.txt",
//!     options,
//! )?;
//! for d in &schema.diagnostics {
//!     eprint!("{}", d.render(&schema.sources));
//! }
//! # Ok::<(), qapi_schema_parser::Errors>(())
//! ```

mod check;

use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, Span};
use pest::Parser;
use pest::iterators::Pair;
use serde::Serialize;

pub use check::merge;

mod grammar {
    #![allow(missing_docs, unreachable_pub)]
    #[derive(pest_derive::Parser)]
    #[grammar = "events.pest"]
    pub(super) struct EventsGrammar;
}
use grammar::{EventsGrammar, Rule};

/// One event of the events spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpecEvent {
    /// The event name (the heading).
    pub name: String,
    /// Where the name is.
    pub span: Span,
    /// The description: the text paragraphs, joined by blank lines.
    pub description: String,
    /// Where each paragraph of the description is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub description_spans: Vec<Span>,
    /// Where `Data: None.` is, when the entry says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_none: Option<Span>,
    /// The members of the event's data, in order (nested members under
    /// their parent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<SpecMember>,
    /// The `Note:` paragraphs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<SpecNote>,
    /// The example messages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<SpecExample>,
}

/// A `Note:` paragraph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpecNote {
    /// Its text, without `Note:`.
    pub text: String,
    /// Where the paragraph is.
    pub span: Span,
}

/// A member in a `Data:` list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpecMember {
    /// The name on the wire.
    pub name: String,
    /// Where the name is.
    pub span: Span,
    /// The description, its lines joined (the type note included).
    pub description: String,
    /// The JSON type the entry gives (`"string"` for `json-string`), if
    /// any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_type: Option<String>,
    /// Where the JSON type is written.
    #[serde(skip)]
    pub json_type_span: Option<Span>,
    /// Whether the type note says `optional`.
    pub optional: bool,
    /// The members of an object-valued member.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<SpecMember>,
}

/// An example message of the events spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpecExample {
    /// The text as written.
    pub text: String,
    /// Where it is.
    pub span: Span,
    /// Valid JSON for the message: the text itself, or the text repaired
    /// (see [`repaired`](Self::repaired)); `None` when it could not be
    /// recovered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json: Option<String>,
    /// Whether [`json`](Self::json) differs from the text (a missing
    /// comma was put back).
    pub repaired: bool,
    /// The parsed message, with spans, for the cross-check.
    #[serde(skip)]
    pub(crate) tree: Option<Json>,
}

/// A JSON value of an example, with where each part is written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Json {
    pub span: Span,
    pub value: JsonValue,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonValue {
    Object(Vec<(String, Span, Json)>),
    Array(Vec<Json>),
    String(String),
    /// The number as written; `true` when it is an integer.
    Number(String, bool),
    Bool(bool),
    Null,
}

impl Json {
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match &self.value {
            JsonValue::Object(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match &self.value {
            JsonValue::Object(_) => "an object",
            JsonValue::Array(_) => "an array",
            JsonValue::String(_) => "a string",
            JsonValue::Number(_, true) => "an integer",
            JsonValue::Number(_, false) => "a number",
            JsonValue::Bool(_) => "a boolean",
            JsonValue::Null => "null",
        }
    }
}

/// What [`parse`] found: the events, and warnings about the text.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The events, in file order.
    pub events: Vec<SpecEvent>,
    /// Warnings about mistakes in the file (each repaired where the intent
    /// is clear).
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the events spec in `src` (whose id is `file`).
///
/// Every valid UTF-8 text parses: what the grammar cannot classify is
/// description text. Problems are warnings in [`Parsed::diagnostics`].
pub fn parse(file: FileId, src: &SourceFile) -> Parsed {
    let mut cx = Cx {
        file,
        src,
        out: Parsed::default(),
    };
    // The grammar recurses into nested JSON: bound the depth first, as
    // the schema's lexer does, so that hostile input cannot exhaust the
    // stack.
    if let Some(at) = too_deep(&src.text) {
        cx.out.diagnostics.push(
            Diagnostic::error(
                src.span(file, at..at + 1),
                format!(
                    "brackets nested more than {} levels deep",
                    crate::syntax::MAX_DEPTH
                ),
            )
            .with_label("too deep")
            .with_note("the events spec is not read"),
        );
        return cx.out;
    }
    match EventsGrammar::parse(Rule::spec, &src.text) {
        Ok(mut pairs) => {
            let spec = pairs.next().into_iter().flat_map(|p| p.into_inner());
            for pair in spec {
                if pair.as_rule() == Rule::event {
                    let event = cx.event(pair);
                    cx.out.events.push(event);
                }
            }
        }
        // The grammar accepts any text; keep a clear message should that
        // ever not hold.
        Err(e) => {
            let offset = match e.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
            cx.out.diagnostics.push(Diagnostic::warning(
                src.span(file, offset..offset),
                "the events spec cannot be read past this point",
            ));
        }
    }
    let mut seen: Vec<(&str, Span)> = Vec::new();
    let mut dups = Vec::new();
    for e in &cx.out.events {
        match seen.iter().find(|(n, _)| *n == e.name) {
            Some((_, first)) => dups.push(
                Diagnostic::warning(e.span, format!("event '{}' is described twice", e.name))
                    .with_label("second entry")
                    .with_related(*first, "first entry"),
            ),
            None => seen.push((&e.name, e.span)),
        }
    }
    cx.out.diagnostics.extend(dups);
    cx.out
}

struct Cx<'a> {
    file: FileId,
    src: &'a SourceFile,
    out: Parsed,
}

impl Cx<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        self.src.span(self.file, s.start()..s.end())
    }

    fn event(&mut self, pair: Pair<'_, Rule>) -> SpecEvent {
        let mut inner = pair.into_inner();
        let name = inner
            .next()
            .and_then(|h| h.into_inner().find(|p| p.as_rule() == Rule::name));
        let (name, span) = match name {
            Some(n) => (n.as_str().to_string(), self.span(&n)),
            None => (String::new(), self.src.span(self.file, 0..0)),
        };
        let mut event = SpecEvent {
            name,
            span,
            description: String::new(),
            description_spans: Vec::new(),
            data_none: None,
            members: Vec::new(),
            notes: Vec::new(),
            examples: Vec::new(),
        };
        // Description paragraphs: text lines, a blank line (or any other
        // item) ending a paragraph.
        let mut paragraphs: Vec<String> = Vec::new();
        let mut open_paragraph = false;
        // The members as (indent, member) in file order; nested below.
        let mut flat: Vec<(usize, SpecMember)> = Vec::new();
        let mut last_example_end: Option<usize> = None;
        for item in inner {
            let rule = item.as_rule();
            if rule != Rule::text {
                open_paragraph = false;
            }
            match rule {
                Rule::text => {
                    let line = item.as_str().trim_end();
                    let start = item.as_span().start();
                    let end = start + line.len();
                    if open_paragraph {
                        if let Some(p) = paragraphs.last_mut() {
                            p.push('\n');
                            p.push_str(line);
                        }
                        if let Some(span) = event.description_spans.last_mut() {
                            let first = span.start as usize;
                            *span = self.src.span(self.file, first..end);
                        }
                    } else {
                        paragraphs.push(line.to_string());
                        event
                            .description_spans
                            .push(self.src.span(self.file, start..end));
                        open_paragraph = true;
                    }
                }
                Rule::data_none => event.data_none = Some(self.span(&item).trimmed(&item)),
                Rule::note => {
                    let whole = item.as_str();
                    let start = item.as_span().start();
                    let span = self
                        .src
                        .span(self.file, start..start + whole.trim_end().len());
                    let text = item
                        .into_inner()
                        .next()
                        .map(|t| unindent(t.as_str()))
                        .unwrap_or_default();
                    event.notes.push(SpecNote { text, span });
                }
                Rule::member => flat.push(self.member(item)),
                Rule::example => {
                    let end = item.as_span().end();
                    if let Some(ex) = self.example(item, &event.name) {
                        event.examples.push(ex);
                    }
                    last_example_end = Some(end);
                }
                Rule::stray_close => {
                    let s = item.as_span();
                    let text = s.as_str();
                    let offset = s.start() + (text.len() - text.trim_start().len());
                    let ch = &text.trim_start()[..1];
                    let mut d = Diagnostic::warning(
                        self.src.span(self.file, offset..offset + 1),
                        format!("stray '{ch}' in the entry of '{}'", event.name),
                    )
                    .with_label("closes nothing");
                    d = d.with_note(if last_example_end.is_some() {
                        "the example before it is already complete; the brace is ignored"
                    } else {
                        "ignored"
                    });
                    self.out.diagnostics.push(d);
                }
                Rule::bad_example => {
                    let span = self.span(&item);
                    let text = item.as_str().trim_end();
                    self.out.diagnostics.push(
                        Diagnostic::warning(
                            span.trimmed_to(text.len(), self.src),
                            format!("example of '{}' is not valid JSON", event.name),
                        )
                        .with_label("cannot be read as a JSON object")
                        .with_note("the example is kept as text only"),
                    );
                    event.examples.push(SpecExample {
                        text: text.to_string(),
                        span,
                        json: None,
                        repaired: false,
                        tree: None,
                    });
                }
                _ => {}
            }
        }
        event.description = paragraphs.join("\n\n");
        if let (Some(none), Some((_, first))) = (event.data_none, flat.first()) {
            self.out.diagnostics.push(
                Diagnostic::warning(
                    first.span,
                    format!(
                        "'Data: None.' but the entry of '{}' goes on to list member '{}'",
                        event.name, first.name
                    ),
                )
                .with_label("a member after 'Data: None.'")
                .with_related(none, "says the event has no data")
                .with_note("the members are taken as the event's data"),
            );
            event.data_none = None;
        }
        event.members = nest(flat);
        event
    }

    fn member(&mut self, pair: Pair<'_, Rule>) -> (usize, SpecMember) {
        let mut indent = 0;
        let mut name = None;
        let mut text = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::indent => indent = p.as_str().chars().count(),
                Rule::key => name = Some((p.as_str().to_string(), self.span(&p))),
                Rule::member_text => text = Some(p),
                _ => {}
            }
        }
        let (name, span) = name.unwrap_or_else(|| (String::new(), self.src.span(self.file, 0..0)));
        let mut member = SpecMember {
            name,
            span,
            description: String::new(),
            json_type: None,
            json_type_span: None,
            optional: false,
            members: Vec::new(),
        };
        if let Some(text) = text {
            member.description = unindent(text.as_str().trim());
            // The last type note wins: descriptions mention parentheses of
            // their own before it.
            for note in text.into_inner().filter(|p| p.as_rule() == Rule::type_note) {
                for p in note.into_inner() {
                    match p.as_rule() {
                        Rule::json_type => {
                            member.json_type = Some(p.as_str()["json-".len()..].to_string());
                            member.json_type_span = Some(self.span(&p));
                        }
                        Rule::optional => member.optional = true,
                        _ => {}
                    }
                }
            }
        }
        (indent, member)
    }

    fn example(&mut self, pair: Pair<'_, Rule>, event: &str) -> Option<SpecExample> {
        let object = pair
            .into_inner()
            .find(|p| p.as_rule() == Rule::json_object)?;
        let span = self.span(&object);
        let start = object.as_span().start();
        let text = object.as_str().to_string();
        let mut missing = Vec::new();
        let tree = self.json(object, &mut missing);
        let mut json = text.clone();
        for &offset in missing.iter().rev() {
            json.insert(offset - start, ',');
        }
        for &offset in &missing {
            self.out.diagnostics.push(
                Diagnostic::warning(
                    self.src.span(self.file, offset..offset),
                    format!("missing ',' in the example of '{event}'"),
                )
                .with_label("',' expected here")
                .with_note("read as if the comma were there"),
            );
        }
        if let Some(name) = tree.get("event") {
            if let JsonValue::String(n) = &name.value {
                if n != event {
                    self.out.diagnostics.push(
                        Diagnostic::warning(
                            name.span,
                            format!("the example of '{event}' is an event '{n}'"),
                        )
                        .with_label("another event"),
                    );
                }
            }
        }
        Some(SpecExample {
            text,
            span,
            repaired: !missing.is_empty(),
            json: Some(json),
            tree: Some(tree),
        })
    }

    /// The spanned value of a JSON pair; `missing` collects the offsets of
    /// missing commas.
    fn json(&self, pair: Pair<'_, Rule>, missing: &mut Vec<usize>) -> Json {
        let span = self.span(&pair);
        let value = match pair.as_rule() {
            Rule::json_object => {
                let mut members = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::missing_comma => missing.push(p.as_span().start()),
                        Rule::json_pair => {
                            let mut kv = p.into_inner();
                            if let (Some(k), Some(v)) = (kv.next(), kv.next()) {
                                let kspan = self.span(&k);
                                members.push((unquote(k.as_str()), kspan, self.json(v, missing)));
                            }
                        }
                        _ => {}
                    }
                }
                JsonValue::Object(members)
            }
            Rule::json_array => {
                JsonValue::Array(pair.into_inner().map(|p| self.json(p, missing)).collect())
            }
            Rule::json_string => JsonValue::String(unquote(pair.as_str())),
            Rule::json_number => {
                let s = pair.as_str();
                JsonValue::Number(s.to_string(), !s.contains(['.', 'e', 'E']))
            }
            Rule::json_true => JsonValue::Bool(true),
            Rule::json_false => JsonValue::Bool(false),
            _ => JsonValue::Null,
        };
        Json { span, value }
    }
}

/// Where brackets (`{`, `[`, `(`) first nest deeper than the schema
/// lexer's limit, if they do; brackets inside double-quoted strings on
/// one line do not count.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > crate::syntax::MAX_DEPTH {
                    return Some(i);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Builds the member tree from (indent, member) in file order: a member
/// indented more than the one before it belongs to that one.
fn nest(flat: Vec<(usize, SpecMember)>) -> Vec<SpecMember> {
    let mut top: Vec<SpecMember> = Vec::new();
    // The open members: (indent, member), outermost first.
    let mut stack: Vec<(usize, SpecMember)> = Vec::new();
    fn close(stack: &mut Vec<(usize, SpecMember)>, top: &mut Vec<SpecMember>) {
        if let Some((_, m)) = stack.pop() {
            match stack.last_mut() {
                Some((_, parent)) => parent.members.push(m),
                None => top.push(m),
            }
        }
    }
    for (indent, m) in flat {
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            close(&mut stack, &mut top);
        }
        stack.push((indent, m));
    }
    while !stack.is_empty() {
        close(&mut stack, &mut top);
    }
    top
}

/// The lines of a multi-line text, each without its leading blanks.
fn unindent(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value of a JSON string token (the grammar has checked its form).
fn unquote(token: &str) -> String {
    let body = &token[1..token.len().saturating_sub(1).max(1)];
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                out.push(
                    u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .unwrap_or('\u{fffd}'),
                );
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

trait SpanExt {
    fn trimmed(self, pair: &Pair<'_, Rule>) -> Span;
    fn trimmed_to(self, len: usize, src: &SourceFile) -> Span;
}

impl SpanExt for Span {
    /// The span of a line item without its line end.
    fn trimmed(mut self, pair: &Pair<'_, Rule>) -> Span {
        self.end = self.start + pair.as_str().trim_end().len() as u32;
        self
    }

    /// The first `len` bytes of the span.
    fn trimmed_to(self, len: usize, src: &SourceFile) -> Span {
        let start = self.start as usize;
        src.span(self.file, start..start + len)
    }
}

#[cfg(test)]
mod tests;
