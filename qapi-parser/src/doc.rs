//! Documentation comments: a `##` block's lines into a structured [`Doc`].
//!
//! A block that starts with `@NAME:` documents the definition `NAME`;
//! any other block is free-form documentation (headings and prose).
//! A definition's block holds, in this order: an overview, a description
//! of each member (`@member: text`, continuation lines indented), a
//! `Features:` list, and tagged sections (`Returns:`, `Errors:`,
//! `Since:`, `TODO:`). Plain paragraphs may follow the member list.
//!
//! Examples are rST `.. qmp-example::` directives inside the text; they
//! are collected with their raw text and the `->`/`<-` messages in them.

mod style;

use crate::diag::Diagnostic;
use crate::profile::{Profile, Rule};
use crate::source::Span;
use crate::syntax::DocBlock;
use serde::Serialize;

/// A parsed documentation comment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Doc {
    /// The definition it documents (`@NAME:`), or `None` for free-form
    /// documentation.
    pub symbol: Option<String>,
    /// The opening `##` line.
    pub span: Span,
    /// The sections in source order.
    pub sections: Vec<DocSection>,
}

/// What a documentation section is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SectionKind {
    /// Untagged prose: the overview, or paragraphs after the members.
    Plain,
    /// `@name: text`, describing a member, value, branch or argument.
    Member,
    /// `@name: text` after `Features:`.
    Feature,
    /// `Returns: text`
    Returns,
    /// `Errors: text`
    Errors,
    /// `Since: version`
    Since,
    /// `TODO: text` (for developers; not rendered).
    Todo,
    /// `Note:` / `Notes:` (legacy dialect only).
    Note,
    /// `Example:` / `Examples:` (legacy dialect only).
    Example,
}

impl SectionKind {
    /// The tag as written in the schema (`"Returns"`), for tagged sections.
    pub fn tag(&self) -> &'static str {
        match self {
            SectionKind::Plain => "",
            SectionKind::Member => "@member",
            SectionKind::Feature => "@feature",
            SectionKind::Returns => "Returns",
            SectionKind::Errors => "Errors",
            SectionKind::Since => "Since",
            SectionKind::Todo => "TODO",
            SectionKind::Note => "Note",
            SectionKind::Example => "Example",
        }
    }
}

/// One section of a documentation comment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocSection {
    /// What it is.
    pub kind: SectionKind,
    /// The member or feature name, for `Member` and `Feature` sections.
    pub name: Option<String>,
    /// The text, with the section's indentation removed, without leading
    /// or trailing blank lines. rST markup is kept as written.
    pub text: String,
    /// The line the section starts on.
    pub span: Span,
}

/// A `.. qmp-example::` block (or a legacy `Example:` section).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    /// The `:title:` option, if any.
    pub title: Option<String>,
    /// The raw text of the example, dedented.
    pub text: String,
    /// The QMP messages in it, in order.
    pub messages: Vec<ExampleMessage>,
}

/// Who sends an example message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// `->`: the client sends it.
    ToServer,
    /// `<-`: the server sends it.
    FromServer,
}

/// One `->` or `<-` message of an example: the JSON text after the arrow,
/// continuation lines included. It may contain elisions (`...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExampleMessage {
    /// Who sends it.
    pub direction: Direction,
    /// The JSON text.
    pub json: String,
}

impl Doc {
    /// The first plain section: the overview.
    pub fn body(&self) -> Option<&str> {
        self.sections
            .first()
            .filter(|s| s.kind == SectionKind::Plain)
            .map(|s| s.text.as_str())
    }

    /// The description of member (argument, value, branch) `name`.
    pub fn member(&self, name: &str) -> Option<&DocSection> {
        self.named(SectionKind::Member, name)
    }

    /// The description of feature `name`.
    pub fn feature(&self, name: &str) -> Option<&DocSection> {
        self.named(SectionKind::Feature, name)
    }

    /// The first section of kind `kind`.
    pub fn section(&self, kind: SectionKind) -> Option<&DocSection> {
        self.sections.iter().find(|s| s.kind == kind)
    }

    /// The `Since:` text.
    pub fn since(&self) -> Option<&str> {
        self.section(SectionKind::Since).map(|s| s.text.as_str())
    }

    fn named(&self, kind: SectionKind, name: &str) -> Option<&DocSection> {
        self.sections
            .iter()
            .find(|s| s.kind == kind && s.name.as_deref() == Some(name))
    }

    /// Every example in the documentation, in order.
    pub fn examples(&self) -> Vec<Example> {
        let mut out = Vec::new();
        for s in &self.sections {
            match s.kind {
                SectionKind::Example => out.push(example_from_text(None, &s.text)),
                SectionKind::Plain | SectionKind::Member | SectionKind::Feature => {
                    collect_examples(&s.text, &mut out)
                }
                _ => {}
            }
        }
        out
    }
}

/// Finds `.. qmp-example::` directives in rST text.
fn collect_examples(text: &str, out: &mut Vec<Example>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let indent = indent_of(line);
        if line.trim() != ".. qmp-example::" {
            i += 1;
            continue;
        }
        i += 1;
        let mut title = None;
        // Options, then content: every line that is blank or indented
        // deeper than the directive.
        let mut body = Vec::new();
        while i < lines.len() && (lines[i].trim().is_empty() || indent_of(lines[i]) > indent) {
            let t = lines[i].trim();
            if body.is_empty() && t.starts_with(':') {
                if let Some(rest) = t.strip_prefix(":title:") {
                    title = Some(rest.trim().to_string());
                }
            } else {
                body.push(lines[i]);
            }
            i += 1;
        }
        out.push(example_from_text(title, &dedent(&body.join("\n"))));
    }
}

fn example_from_text(title: Option<String>, text: &str) -> Example {
    let text = text.trim_matches('\n').to_string();
    let mut messages: Vec<ExampleMessage> = Vec::new();
    let mut open: Option<(Direction, String, i64)> = None;
    for line in text.lines() {
        let t = line.trim_start();
        let start = if let Some(rest) = t.strip_prefix("->") {
            Some((Direction::ToServer, rest))
        } else {
            t.strip_prefix("<-")
                .map(|rest| (Direction::FromServer, rest))
        };
        if let Some((dir, rest)) = start {
            if let Some((d, json, _)) = open.take() {
                messages.push(ExampleMessage { direction: d, json });
            }
            let depth = bracket_balance(rest);
            let json = rest.trim().to_string();
            if depth <= 0 {
                messages.push(ExampleMessage {
                    direction: dir,
                    json,
                });
            } else {
                open = Some((dir, json, depth));
            }
        } else if let Some((_, json, depth)) = open.as_mut() {
            json.push('\n');
            json.push_str(line.trim_end());
            *depth += bracket_balance(line);
            if *depth <= 0 {
                if let Some((d, json, _)) = open.take() {
                    messages.push(ExampleMessage {
                        direction: d,
                        json: json.trim().to_string(),
                    });
                }
            }
        }
    }
    if let Some((d, json, _)) = open {
        messages.push(ExampleMessage {
            direction: d,
            json: json.trim().to_string(),
        });
    }
    Example {
        title,
        text,
        messages,
    }
}

/// Opening minus closing brackets outside JSON strings.
fn bracket_balance(s: &str) -> i64 {
    let mut depth = 0;
    let mut in_str = false;
    let mut escaped = false;
    for c in s.chars() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            _ => {}
        }
    }
    depth
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Removes the common indentation of the non-blank lines.
pub(crate) fn dedent(text: &str) -> String {
    let min = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(indent_of)
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| {
            if l.len() >= min {
                &l[min..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Options of the documentation parser.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocOptions {
    /// The rules of the schema's release.
    pub profile: Profile,
}

/// One line of a block: text after `# ` and the line's span.
struct Line<'a> {
    text: &'a str,
    span: Span,
}

struct DocParser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
    /// Span of what follows the last line (the closing `##`).
    end: Span,
    sections: Vec<DocSection>,
    /// Raw lines of the section being built.
    cur: Vec<&'a str>,
    /// Number of lines in `cur` that are the first line of the section
    /// (the text after `@name:` or `Tag:`), which is not indented.
    cur_first: bool,
    options: DocOptions,
    /// Notes about legacy constructs accepted.
    legacy_notes: Vec<Diagnostic>,
}

/// Parses a documentation block. `source` is the text of the file the
/// block's spans point into. Returns the doc, plus notes about any legacy
/// constructs accepted in legacy mode.
pub fn parse_doc(
    block: &DocBlock,
    source: &str,
    options: DocOptions,
) -> Result<(Doc, Vec<Diagnostic>), Diagnostic> {
    if &source[block.open.range()] != "##" {
        return Err(Diagnostic::error(
            block.open,
            "text after '##' on the line that opens a documentation comment",
        )
        .with_label("the opening line must be exactly '##'"));
    }
    let mut lines = Vec::with_capacity(block.lines.len());
    for span in &block.lines {
        let node = &source[span.range()];
        let text = match node.strip_prefix('#') {
            Some("") => "",
            Some(rest) if rest.starts_with(' ') => rest[1..].trim_end(),
            _ => {
                return Err(Diagnostic::error(
                    *span,
                    "missing space after '#' in a documentation comment",
                )
                .with_label("write '# text'"));
            }
        };
        lines.push(Line { text, span: *span });
    }
    style::check(&lines, options.profile)?;
    let end = match block.close {
        Some(close) if &source[close.range()] == "##" => close,
        Some(close) => {
            return Err(Diagnostic::error(
                close,
                "text after '##' on the line that closes a documentation comment",
            )
            .with_label("the closing line must be exactly '##'"));
        }
        None => {
            return Err(
                Diagnostic::error(block.end, "documentation comment is not closed")
                    .with_label("expected a '##' line before this")
                    .with_related(block.open, "the comment starts here"),
            );
        }
    };
    let mut p = DocParser {
        lines,
        pos: 0,
        end,
        sections: Vec::new(),
        cur: Vec::new(),
        cur_first: false,
        options,
        legacy_notes: Vec::new(),
    };
    let symbol = p.parse()?;
    Ok((
        Doc {
            symbol,
            span: block.open,
            sections: p.sections,
        },
        p.legacy_notes,
    ))
}

/// A block kept as free text (legacy dialect: documentation layouts older
/// than the structured ones): the comment lines as one plain section, and
/// the symbol of a first line `@NAME` or `@NAME:`.
pub fn raw_doc(block: &DocBlock, source: &str) -> Doc {
    let lines: Vec<&str> = block
        .lines
        .iter()
        .map(|s| {
            let t = &source[s.range()];
            let t = t.strip_prefix('#').unwrap_or(t);
            t.strip_prefix(' ').unwrap_or(t).trim_end()
        })
        .collect();
    let symbol = lines
        .first()
        .and_then(|l| l.strip_prefix('@'))
        .map(|l| l.trim_end_matches(':').trim().to_string())
        .filter(|s| !s.is_empty() && !s.contains(' '));
    let body = if symbol.is_some() {
        &lines[1..]
    } else {
        &lines[..]
    };
    Doc {
        symbol,
        span: block.open,
        sections: vec![DocSection {
            kind: SectionKind::Plain,
            name: None,
            text: body.join("\n").trim_matches('\n').to_string(),
            span: block.open,
        }],
    }
}

/// `@name: rest` at the start of a line: the name and the rest.
fn at_name_colon(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('@')?;
    let colon = rest.find(':')?;
    Some((&rest[..colon], rest[colon + 1..].trim_start_matches(' ')))
}

fn tagged(line: &str) -> Option<(SectionKind, &str, &str)> {
    const TAGS: [(&str, SectionKind); 8] = [
        ("Returns", SectionKind::Returns),
        ("Errors", SectionKind::Errors),
        ("Since", SectionKind::Since),
        ("TODO", SectionKind::Todo),
        ("Notes", SectionKind::Note),
        ("Note", SectionKind::Note),
        ("Examples", SectionKind::Example),
        ("Example", SectionKind::Example),
    ];
    for (tag, kind) in TAGS {
        // `Examples::` (a paragraph ending in `::`, which opens an rST
        // literal block) is not a section: QEMU matches `TAG(?!::):`.
        if let Some(rest) = line
            .strip_prefix(tag)
            .and_then(|r| r.strip_prefix(':'))
            .filter(|r| !r.starts_with(':'))
        {
            return Some((kind, tag, rest.trim_start_matches(' ')));
        }
    }
    None
}

impl<'a> DocParser<'a> {
    fn peek(&self) -> Option<&Line<'a>> {
        self.lines.get(self.pos)
    }

    fn cur_span(&self) -> Span {
        self.peek().map_or(self.end, |l| l.span)
    }

    fn err(&self, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.cur_span(), msg)
    }

    fn start(
        &mut self,
        kind: SectionKind,
        name: Option<&str>,
        first: &'a str,
    ) -> Result<(), Diagnostic> {
        self.finish()?;
        self.sections.push(DocSection {
            kind,
            name: name.map(str::to_string),
            text: String::new(),
            span: self.cur_span(),
        });
        self.cur.clear();
        self.cur_first = !first.is_empty() && kind != SectionKind::Plain;
        if !first.is_empty() {
            self.cur.push(first);
        }
        Ok(())
    }

    /// Closes the current section: joins and dedents its lines into one
    /// string (one allocation).
    fn finish(&mut self) -> Result<(), Diagnostic> {
        let Some(section) = self.sections.last_mut() else {
            return Ok(());
        };
        if !section.text.is_empty() {
            return Ok(());
        }
        let (first, rest) = if self.cur_first && !self.cur.is_empty() {
            (Some(self.cur[0]), &self.cur[1..])
        } else {
            (None, &self.cur[..])
        };
        // Leading and trailing blank lines are dropped; the rest is
        // dedented by its smallest indentation.
        let is_blank = |l: &&str| l.trim().is_empty();
        let start = rest.iter().position(|l| !is_blank(l)).unwrap_or(rest.len());
        let end = rest
            .iter()
            .rposition(|l| !is_blank(l))
            .map_or(start, |i| i + 1);
        let rest = &rest[start..end];
        let min = rest
            .iter()
            .filter(|l| !is_blank(l))
            .map(|l| indent_of(l))
            .min()
            .unwrap_or(0);
        let len =
            first.map_or(0, |f| f.len() + 1) + rest.iter().map(|l| l.len() + 1).sum::<usize>();
        let mut text = String::with_capacity(len);
        if let Some(f) = first {
            text.push_str(f);
        }
        for (i, l) in rest.iter().enumerate() {
            if i > 0 || first.is_some() {
                text.push('\n');
            }
            text.push_str(l.get(min..).unwrap_or_else(|| l.trim_start()));
        }
        section.text = text;
        if !matches!(
            section.kind,
            SectionKind::Plain | SectionKind::Member | SectionKind::Feature
        ) && section.text.trim().is_empty()
        {
            return Err(Diagnostic::error(
                section.span,
                format!("'{}:' section without text", section.kind.tag()),
            )
            .with_label("text expected after the colon"));
        }
        self.cur.clear();
        Ok(())
    }

    fn append(&mut self, line: &'a str) {
        self.cur.push(line);
    }

    fn parse(&mut self) -> Result<Option<String>, Diagnostic> {
        let first = self.peek().map(|l| l.text);
        match first {
            Some(line) if line.starts_with('@') => {
                let Some(symbol) = line.strip_suffix(':') else {
                    return Err(self
                        .err("the '@NAME' line of a definition's documentation must end with ':'")
                        .with_note(
                            self.options
                                .profile
                                .older("older QEMU releases wrote it without the ':'"),
                        ));
                };
                let symbol = &symbol[1..];
                if symbol.is_empty() {
                    return Err(self.err("a name is required after '@'"));
                }
                self.pos += 1;
                self.definition()?;
                Ok(Some(symbol.to_string()))
            }
            _ => {
                self.free_form()?;
                Ok(None)
            }
        }
    }

    fn free_form(&mut self) -> Result<(), Diagnostic> {
        if self.peek().is_none() {
            return Ok(());
        }
        self.start(SectionKind::Plain, None, "")?;
        let mut is_first = true;
        while let Some(line) = self.peek() {
            let text = line.text;
            if let Some((name, _)) = at_name_colon(text) {
                return Err(self
                    .err(format!(
                        "'@{name}:' is not allowed in free-form documentation"
                    ))
                    .with_note("a definition's documentation must start with its '@NAME:' line"));
            }
            if text.starts_with('=')
                && !is_first
                && self.options.profile.holds(Rule::EqualsHeadingFirst)
            {
                return Err(self
                    .err("a '=' heading must be the first line of its documentation comment")
                    .with_note(self.options.profile.older(
                        "QEMU 10.1 and later write rST headings, underlined with '=' anywhere",
                    )));
            }
            self.append(text);
            self.pos += 1;
            is_first = false;
        }
        self.finish()
    }

    fn definition(&mut self) -> Result<(), Diagnostic> {
        let mut no_more_args = false;
        let mut have_features = false;
        loop {
            while self.peek().is_some_and(|l| l.text.is_empty()) {
                self.pos += 1;
            }
            let Some(line) = self.peek() else { break };
            let text = line.text;
            if text == "Features:" {
                if have_features {
                    return Err(self
                        .err("second 'Features:' line")
                        .with_note("list all features under one 'Features:' line"));
                }
                have_features = true;
                self.pos += 1;
                while self.peek().is_some_and(|l| l.text.is_empty()) {
                    self.pos += 1;
                }
                let mut any = false;
                while let Some((name, rest)) = self.peek().and_then(|l| at_name_colon(l.text)) {
                    self.new_named(SectionKind::Feature, name, rest)?;
                    self.indented()?;
                    any = true;
                }
                if !any {
                    return Err(
                        self.err("'Features:' must be followed by '@feature: description' lines")
                    );
                }
                no_more_args = true;
            } else if let Some((name, _)) = at_name_colon(text) {
                if no_more_args {
                    return Err(self.err(format!(
                        "description of '@{name}:' comes after a section"
                    ))
                    .with_note("member descriptions come right after the overview, before 'Features:' and tagged sections"));
                }
                while let Some((name, rest)) = self.peek().and_then(|l| at_name_colon(l.text)) {
                    self.new_named(SectionKind::Member, name, rest)?;
                    self.indented()?;
                }
                no_more_args = true;
            } else if let Some((kind, tag, rest)) = tagged(text) {
                if matches!(kind, SectionKind::Note | SectionKind::Example)
                    && !self.options.profile.holds(Rule::OldDocLayouts)
                {
                    let hint = if kind == SectionKind::Note {
                        "use an rST admonition such as '.. note::' instead"
                    } else {
                        "use the '.. qmp-example::' directive instead"
                    };
                    return Err(self
                        .err(format!(
                            "'{tag}:' sections are no longer part of the language"
                        ))
                        .with_note(hint)
                        .with_note(
                            self.options
                                .profile
                                .older("QEMU releases before 9.1 used them"),
                        ));
                }
                if matches!(kind, SectionKind::Note | SectionKind::Example) {
                    self.legacy_notes.push(Rule::OldDocLayouts.note(
                        self.cur_span(),
                        format!("legacy '{tag}:' documentation section"),
                    ));
                }
                if !matches!(kind, SectionKind::Note | SectionKind::Example)
                    && !self.options.profile.holds(Rule::OldDocLayouts)
                {
                    if let Some(prev) = self.sections.iter().find(|s| s.kind == kind) {
                        return Err(self
                            .err(format!("second '{tag}:' section"))
                            .with_related(prev.span, "first one here"));
                    }
                }
                self.start(kind, None, rest)?;
                self.pos += 1;
                // Old `Note:`/`Example:` sections have their text on the
                // following lines, laid out in every way.
                if matches!(kind, SectionKind::Note | SectionKind::Example) {
                    self.legacy_block()?;
                } else {
                    self.indented()?;
                }
                no_more_args = true;
            } else if text.starts_with('=') {
                return Err(self
                    .err("'=' headings are not allowed in a definition's documentation")
                    .with_note("headings belong in free-form documentation blocks"));
            } else {
                // A plain paragraph, up to the next blank line; consecutive
                // paragraphs form one section.
                if self
                    .sections
                    .last()
                    .is_some_and(|s| s.kind == SectionKind::Plain)
                {
                    self.append("");
                } else {
                    self.start(SectionKind::Plain, None, "")?;
                }
                while let Some(l) = self.peek().filter(|l| !l.text.is_empty()) {
                    let t = l.text;
                    self.append(t);
                    self.pos += 1;
                }
            }
        }
        self.finish()
    }

    fn new_named(
        &mut self,
        kind: SectionKind,
        name: &'a str,
        rest: &'a str,
    ) -> Result<(), Diagnostic> {
        let what = if kind == SectionKind::Feature {
            "feature"
        } else {
            "member"
        };
        if name.is_empty() {
            return Err(self.err(format!("'@:' needs a {what} name")));
        }
        if let Some(prev) = self
            .sections
            .iter()
            .find(|s| s.kind == kind && s.name.as_deref() == Some(name))
        {
            return Err(self
                .err(format!("{what} '{name}' is described twice"))
                .with_related(prev.span, "first description"));
        }
        self.start(kind, Some(name), rest)?;
        self.pos += 1;
        Ok(())
    }

    /// The rest of a member, feature or tagged section: continuation lines
    /// indented deeper than the section's first line.
    fn indented(&mut self) -> Result<(), Diagnostic> {
        while self.peek().is_some_and(|l| l.text.is_empty()) {
            self.append("");
            self.pos += 1;
        }
        let Some(line) = self.peek() else {
            return Ok(());
        };
        let indent = indent_of(line.text);
        if indent == 0 {
            return Ok(());
        }
        let t = line.text;
        self.append(t);
        self.pos += 1;
        let mut prev_blank = false;
        while let Some(line) = self.peek() {
            let t = line.text;
            if at_name_colon(t).is_some() {
                return Ok(());
            }
            if !t.is_empty() && indent_of(t) < indent {
                if prev_blank {
                    return Ok(());
                }
                if self.options.profile.holds(Rule::OldDocLayouts) {
                    return Ok(());
                }
                return Err(self
                    .err(format!("line is indented less than the line before it (expected at least {indent} spaces)"))
                    .with_note("continuation lines of a description keep its indentation; a blank line ends it"));
            }
            self.append(t);
            prev_blank = t.is_empty();
            self.pos += 1;
        }
        Ok(())
    }

    /// A legacy `Example:` section: everything up to the next blank line
    /// followed by an unindented line that starts a new section.
    fn legacy_block(&mut self) -> Result<(), Diagnostic> {
        while let Some(line) = self.peek() {
            let t = line.text;
            if at_name_colon(t).is_some() || tagged(t).is_some() || t == "Features:" {
                break;
            }
            self.append(t);
            self.pos += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, SourceFile};
    use crate::syntax::{TopItem, parse_file};

    fn doc(text: &str) -> Result<Doc, String> {
        doc_as(text, Profile::default())
    }

    /// The doc of `text` under the rules of `profile`.
    fn doc_as(text: &str, profile: Profile) -> Result<Doc, String> {
        let f = SourceFile::new("t".into(), "t".into(), text.into(), None);
        let items = parse_file(FileId(0), &f).unwrap();
        let TopItem::Doc(block) = &items[0] else {
            panic!()
        };
        parse_doc(block, &f.text, DocOptions { profile })
            .map(|(d, _)| d)
            .map_err(|d| format!("{}: {}", d.span.map_or(0, |s| s.line), d.message))
    }

    #[test]
    fn definition_doc() {
        let d = doc("##\n# @Foo:\n#\n# Overview\n# more.\n#\n# @a: first\n#     continued\n#\n# @b:\n#     on next line\n#\n# Later text.\n#\n# Features:\n#\n# @deprecated: gone\n#\n# Returns: thing\n#\n# Since: 1.2\n##\n").unwrap();
        assert_eq!(d.symbol.as_deref(), Some("Foo"));
        assert_eq!(d.body(), Some("Overview\nmore."));
        assert_eq!(d.member("a").unwrap().text, "first\ncontinued");
        assert_eq!(d.member("b").unwrap().text, "on next line");
        assert_eq!(d.feature("deprecated").unwrap().text, "gone");
        assert_eq!(d.since(), Some("1.2"));
        assert_eq!(d.section(SectionKind::Returns).unwrap().text, "thing");
        let kinds: Vec<_> = d.sections.iter().map(|s| s.kind).collect();
        use SectionKind::*;
        assert_eq!(
            kinds,
            [Plain, Member, Member, Plain, Feature, Returns, Since]
        );
    }

    #[test]
    fn examples() {
        let d = doc("##\n# @q:\n#\n# .. qmp-example::\n#    :title: Two\n#\n#     -> { \"execute\": \"q\",\n#          \"arguments\": { \"a\": [ 1 ] } }\n#     <- { \"return\": {} }\n#\n# Since: 1\n##\n").unwrap();
        let ex = d.examples();
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].title.as_deref(), Some("Two"));
        assert_eq!(ex[0].messages.len(), 2);
        assert_eq!(ex[0].messages[0].direction, Direction::ToServer);
        assert_eq!(
            ex[0].messages[0].json,
            "{ \"execute\": \"q\",\n     \"arguments\": { \"a\": [ 1 ] } }"
        );
        assert_eq!(ex[0].messages[1].json, "{ \"return\": {} }");
    }

    #[test]
    fn errors() {
        assert_eq!(
            doc("## x\n##\n").unwrap_err(),
            "1: text after '##' on the line that opens a documentation comment"
        );
        assert_eq!(
            doc("##\n#x\n##\n").unwrap_err(),
            "2: missing space after '#' in a documentation comment"
        );
        assert_eq!(
            doc("##\n# @foo\n##\n").unwrap_err(),
            "2: the '@NAME' line of a definition's documentation must end with ':'"
        );
        assert_eq!(
            doc("##\n# @:\n##\n").unwrap_err(),
            "2: a name is required after '@'"
        );
        assert_eq!(
            doc("##\n# @a:\n# @b: x\n# @b: y\n##\n").unwrap_err(),
            "4: member 'b' is described twice"
        );
        assert_eq!(
            doc("##\n# @a:\n# @b: x\n#     y\n#   z\n##\n").unwrap_err(),
            "5: line is indented less than the line before it (expected at least 4 spaces)"
        );
        assert_eq!(
            doc("##\n# @a:\n# Since: 1\n# Since: 2\n##\n").unwrap_err(),
            "4: second 'Since:' section"
        );
        assert_eq!(
            doc("##\n# @a:\n# Since:\n##\n").unwrap_err(),
            "3: 'Since:' section without text"
        );
        assert_eq!(
            doc("##\n# @a:\n# Note: x\n##\n").unwrap_err(),
            "3: 'Note:' sections are no longer part of the language"
        );
        assert_eq!(
            doc("##\n# @a:\n# Since: 1\n# @b: x\n##\n").unwrap_err(),
            "4: description of '@b:' comes after a section"
        );
        assert_eq!(
            doc("##\n# @a:\n# Features:\n# text\n##\n").unwrap_err(),
            "4: 'Features:' must be followed by '@feature: description' lines"
        );
        assert_eq!(
            doc("##\n# @a:\n# = H\n##\n").unwrap_err(),
            "3: '=' headings are not allowed in a definition's documentation"
        );
        // Until 10.0 (from 10.1, rST headings: a '=' line is text).
        let v10_0 = Profile::of(crate::profile::QemuVersion::new(10, 0));
        assert_eq!(
            doc_as("##\n# = H\n# text\n# == H2\n##\n", v10_0).unwrap_err(),
            "4: a '=' heading must be the first line of its documentation comment"
        );
        let v10_1 = Profile::of(crate::profile::QemuVersion::new(10, 1));
        assert!(doc_as("##\n# Title\n# =====\n##\n", v10_1).is_ok());
        assert_eq!(
            doc("##\n# text\n# @x: y\n##\n").unwrap_err(),
            "3: '@x:' is not allowed in free-form documentation"
        );
        assert_eq!(
            doc("##\n# @a:\n{ }").unwrap_err(),
            "3: documentation comment is not closed"
        );
    }
}
