//! The expression layer: schema text into spanned values and doc blocks.
//!
//! The pest grammar (`qapi.pest`) does the lexing and the JSON-like
//! structure; this module turns its parse tree into [`Value`]s that carry
//! spans, checks what the grammar leaves permissive on purpose (string
//! characters and escapes, stray words, duplicate keys), and turns pest's
//! errors into messages in the project's own words.

use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, Span, count_chars};
use pest::Parser as _;
use pest::iterators::Pair;

mod grammar {
    #![allow(missing_docs, unreachable_pub)]
    #[derive(pest_derive::Parser)]
    #[grammar = "qapi.pest"]
    pub(super) struct QapiGrammar;
}
use grammar::{QapiGrammar, Rule};

/// Deepest nesting of arrays and objects accepted. Real schemas nest
/// about five levels; the limit keeps hostile input from exhausting the
/// stack of the recursive-descent parser.
pub(crate) const MAX_DEPTH: usize = 64;

/// Largest schema file accepted (QEMU's largest is about 250 KiB).
pub(crate) const MAX_FILE_SIZE: usize = 16 * 1024 * 1024;

/// A value with the span it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it is.
    pub span: Span,
}

/// A value of the expression layer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `'text'`
    Str(String),
    /// `true` or `false`
    Bool(bool),
    /// `[ ... ]`
    Array(Vec<Spanned<Value>>),
    /// `{ ... }`, keys in source order.
    Object(Object),
}

impl Value {
    /// What kind of value this is, for messages ("a string", "an array"...).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Bool(_) => "a boolean",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// An object: its entries in source order (no duplicate keys).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Object {
    /// Key and value pairs.
    pub entries: Vec<(Spanned<String>, Spanned<Value>)>,
}

impl Object {
    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Spanned<Value>> {
        self.entries
            .iter()
            .find(|(k, _)| k.node == key)
            .map(|(_, v)| v)
    }

    /// The key `key` itself (for its span).
    pub(crate) fn key(&self, key: &str) -> Option<&Spanned<String>> {
        self.entries
            .iter()
            .find(|(k, _)| k.node == key)
            .map(|(k, _)| k)
    }

    /// Whether `key` is present.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// A documentation block as the lexer sees it: where its lines are (the
/// text is in the source file; copying every comment line would cost more
/// than parsing it).
#[derive(Debug, Clone, PartialEq)]
pub struct DocBlock {
    /// The opening `##` line.
    pub open: Span,
    /// The comment lines between the fences, each from its `#`.
    pub lines: Vec<Span>,
    /// The closing `##` line; `None` when the block is not closed (an
    /// error the loader reports at `end`).
    pub close: Option<Span>,
    /// Where the block ends (for "not closed" errors: the next token).
    pub end: Span,
}

/// A top-level item of a schema file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TopItem {
    /// A top-level expression (valid only when it is an object).
    Expr(Spanned<Value>),
    /// A documentation block.
    Doc(DocBlock),
    /// A member or element not separated from the one before it by a
    /// comma (QEMU 1.x accepted that): the span is the member's key or
    /// the element. It comes just before the expression it is in.
    MissingComma(Span),
    /// A comma after the last member or element (the parser of QEMU up
    /// to 1.5 skipped it): the comma. It comes just before the expression
    /// it is in.
    TrailingComma(Span),
}

/// Parses a whole file into top-level items. Syntax errors are returned
/// as diagnostics; when the structure itself cannot be parsed only the
/// first error is known (the parser cannot resynchronise reliably), but
/// every bad string and stray word in a well-structured file is reported.
pub(crate) fn parse_file(
    file_id: FileId,
    file: &SourceFile,
) -> Result<Vec<TopItem>, Vec<Diagnostic>> {
    let text = file.text.as_str();
    if let Some(d) = prescan(file_id, file) {
        return Err(vec![d]);
    }
    let pairs = match QapiGrammar::parse(Rule::schema, text) {
        Ok(pairs) => pairs,
        Err(e) => return Err(vec![syntax_error(file_id, file, &e)]),
    };
    let mut cx = Converter {
        file_id,
        file,
        errors: Vec::new(),
        missing_commas: Vec::new(),
        trailing_commas: Vec::new(),
    };
    let mut items = Vec::new();
    for pair in pairs
        .flatten()
        .next()
        .into_iter()
        .flat_map(|p| p.into_inner())
    {
        match pair.as_rule() {
            Rule::top_value => {
                if let Some(inner) = pair.into_inner().next() {
                    let v = cx.value(inner);
                    items.extend(cx.missing_commas.drain(..).map(TopItem::MissingComma));
                    items.extend(cx.trailing_commas.drain(..).map(TopItem::TrailingComma));
                    if let Some(v) = v {
                        items.push(TopItem::Expr(v));
                    }
                }
            }
            Rule::doc_block => items.push(TopItem::Doc(cx.doc_block(pair))),
            _ => {}
        }
    }
    if cx.errors.is_empty() {
        Ok(items)
    } else {
        Err(cx.errors)
    }
}

/// Sets the file of every span in `items` (all of which come from one
/// file). The loader parses files before it knows their final ids.
pub(crate) fn assign_file(items: &mut [TopItem], file: FileId) {
    fn value(v: &mut Spanned<Value>, file: FileId) {
        v.span.file = file;
        match &mut v.node {
            Value::Array(items) => items.iter_mut().for_each(|i| value(i, file)),
            Value::Object(o) => {
                for (k, v) in &mut o.entries {
                    k.span.file = file;
                    value(v, file);
                }
            }
            Value::Str(_) | Value::Bool(_) => {}
        }
    }
    for item in items {
        match item {
            TopItem::Expr(v) => value(v, file),
            TopItem::MissingComma(span) | TopItem::TrailingComma(span) => span.file = file,
            TopItem::Doc(d) => {
                for span in std::iter::once(&mut d.open)
                    .chain(d.lines.iter_mut())
                    .chain(d.close.iter_mut())
                    .chain(std::iter::once(&mut d.end))
                {
                    span.file = file;
                }
            }
        }
    }
}

/// A quick lexical pass for the two errors the recursive parser handles
/// badly: nesting deeper than [`MAX_DEPTH`] (stack exhaustion) and an
/// unterminated string (which would otherwise surface as a confusing
/// structural error further on). Strings and comments are skipped the way
/// the lexer does.
fn prescan(file_id: FileId, file: &SourceFile) -> Option<Diagnostic> {
    let bytes = file.text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'\\') {
                        2
                    } else {
                        1
                    };
                }
                if i >= bytes.len() || bytes[i] == b'\n' {
                    let span = file.span(file_id, start..i.min(bytes.len()));
                    return Some(
                        Diagnostic::error(span, "string is missing its closing quote")
                            .with_label("unterminated string")
                            .with_note("strings are single-quoted and end on the line they start"),
                    );
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let span = file.span(file_id, i..i + 1);
                    return Some(
                        Diagnostic::error(
                            span,
                            format!("arrays and objects nested more than {MAX_DEPTH} levels deep"),
                        )
                        .with_label("too deep"),
                    );
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

struct Converter<'a> {
    file_id: FileId,
    file: &'a SourceFile,
    errors: Vec<Diagnostic>,
    /// Where commas are missing in the expression being converted.
    missing_commas: Vec<Span>,
    /// Where commas follow the last member or element, likewise.
    trailing_commas: Vec<Span>,
}

impl Converter<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        self.file.span(self.file_id, s.start()..s.end())
    }

    /// Nesting is bounded by the pre-scan, so this recursion is too.
    fn value(&mut self, pair: Pair<'_, Rule>) -> Option<Spanned<Value>> {
        let span = self.span(&pair);
        let node = match pair.as_rule() {
            Rule::string => Value::Str(self.string(pair)?),
            Rule::boolean => Value::Bool(pair.as_str() == "true"),
            Rule::array => {
                let mut items = Vec::new();
                let mut missing = false;
                // Punctuation pairs (named so that syntax errors can name
                // them) carry no value.
                for p in pair.into_inner().filter(|p| !is_punct(p.as_rule())) {
                    if p.as_rule() == Rule::missing_comma {
                        missing = true;
                        continue;
                    }
                    if p.as_rule() == Rule::trailing_comma {
                        let at = self.span(&p);
                        self.trailing_commas.push(at);
                        continue;
                    }
                    if std::mem::take(&mut missing) {
                        let at = self.span(&p);
                        self.missing_commas.push(at);
                    }
                    if let Some(v) = self.value(p) {
                        items.push(v);
                    }
                }
                Value::Array(items)
            }
            Rule::object => {
                let mut obj = Object::default();
                let mut missing = false;
                for member in pair.into_inner() {
                    match member.as_rule() {
                        Rule::member => {}
                        Rule::missing_comma => {
                            missing = true;
                            continue;
                        }
                        Rule::trailing_comma => {
                            let at = self.span(&member);
                            self.trailing_commas.push(at);
                            continue;
                        }
                        _ => continue,
                    }
                    if std::mem::take(&mut missing) {
                        let at = member.clone().into_inner().next().map(|k| self.span(&k));
                        self.missing_commas.extend(at);
                    }
                    let mut inner = member.into_inner();
                    let (Some(k), Some(_colon), Some(v)) =
                        (inner.next(), inner.next(), inner.next())
                    else {
                        continue;
                    };
                    let kspan = self.span(&k);
                    let key = self.string(k);
                    let value = self.value(v);
                    let (Some(key), Some(value)) = (key, value) else {
                        continue;
                    };
                    if let Some((prev, _)) = obj.entries.iter().find(|(pk, _)| pk.node == key) {
                        self.errors.push(
                            Diagnostic::error(kspan, format!("duplicate key '{key}'"))
                                .with_label("second occurrence")
                                .with_related(prev.span, "first occurrence"),
                        );
                        continue;
                    }
                    obj.entries.push((
                        Spanned {
                            node: key,
                            span: kspan,
                        },
                        value,
                    ));
                }
                Value::Object(obj)
            }
            Rule::stray => {
                self.errors.push(stray_error(span, pair.as_str()));
                return None;
            }
            _ => return None,
        };
        Some(Spanned { node, span })
    }

    /// Checks and unescapes a string token.
    fn string(&mut self, pair: Pair<'_, Rule>) -> Option<String> {
        let start = pair.as_span().start();
        let mut inner = pair.into_inner();
        let body = inner.next()?;
        let end = inner.next()?;
        let body_start = body.as_span().start();
        if end.as_str().is_empty() {
            let span = self.file.span(self.file_id, start..body.as_span().end());
            self.errors.push(
                Diagnostic::error(span, "string is missing its closing quote")
                    .with_label("unterminated string")
                    .with_note("strings are single-quoted and end on the line they start"),
            );
            return None;
        }
        let raw = body.as_str();
        // Nearly every string is plain printable ASCII without escapes:
        // check the bytes and copy once.
        if raw
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'\\')
        {
            return Some(raw.to_owned());
        }
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((i, c)) = chars.next() {
            let at = body_start + i;
            if c == '\\' {
                match chars.next() {
                    Some((_, '\\')) => out.push('\\'),
                    other => {
                        let esc = other.map(|(_, c)| c).unwrap_or('\'');
                        let span = self.file.span(self.file_id, at..at + 1 + esc.len_utf8());
                        self.errors.push(
                            Diagnostic::error(span, format!("unknown escape '\\{esc}'"))
                                .with_label("not an escape")
                                .with_note(
                                    "the only escape in a QAPI string is '\\\\' (a backslash)",
                                ),
                        );
                        return None;
                    }
                }
            } else if !(' '..='~').contains(&c) {
                let span = self.file.span(self.file_id, at..at + c.len_utf8());
                self.errors.push(
                    Diagnostic::error(
                        span,
                        format!(
                            "character {} is not allowed in a string",
                            c.escape_unicode()
                        ),
                    )
                    .with_label("not printable ASCII")
                    .with_note("strings may only contain printable ASCII characters (' ' to '~')"),
                );
                return None;
            } else {
                out.push(c);
            }
        }
        Some(out)
    }

    fn doc_block(&mut self, pair: Pair<'_, Rule>) -> DocBlock {
        let block = pair.as_span();
        let base = block.start();
        // Line numbers advance by one per line of the block; only the
        // first line's position needs a look-up.
        let (first_line, first_col) = self.file.line_col(base);
        let mut open = None;
        let mut lines = Vec::new();
        let mut close = None;
        let mut offset = 0;
        for (i, raw) in block.as_str().split('\n').enumerate() {
            let start = offset;
            offset += raw.len() + 1;
            let text = raw.trim_end_matches('\r');
            let trimmed = text.trim_start();
            if trimmed.is_empty() {
                continue;
            }
            let indent = text.len() - trimmed.len();
            let at = base + start + indent;
            let col = if i == 0 {
                first_col
            } else {
                count_chars(&text.as_bytes()[..indent]) as u32 + 1
            };
            let span = Span {
                file: self.file_id,
                start: at as u32,
                end: (at + trimmed.len()) as u32,
                line: first_line + i as u32,
                col,
            };
            if open.is_none() {
                open = Some(span);
            } else if trimmed.starts_with("##") {
                close = Some(span);
            } else {
                lines.push(span);
            }
        }
        let whole = self.file.span(self.file_id, block.start()..block.end());
        // Where the next token starts: the end of the block's text plus
        // any whitespace after it.
        let rest = &self.file.text[block.end()..];
        let skip = rest.len() - rest.trim_start().len();
        let at = block.end() + skip;
        let next_len = rest[skip..].chars().next().map_or(0, char::len_utf8);
        let end = self.file.span(self.file_id, at..at + next_len);
        DocBlock {
            open: open.unwrap_or(whole),
            lines,
            close,
            end,
        }
    }
}

fn is_punct(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::lbrace | Rule::rbrace | Rule::lbracket | Rule::rbracket | Rule::comma | Rule::colon
    )
}

fn stray_error(span: Span, text: &str) -> Diagnostic {
    let d = Diagnostic::error(span, format!("unexpected '{text}'")).with_label("not a QAPI value");
    let first = text.chars().next().unwrap_or(' ');
    if first == '"' {
        d.with_note("strings are written in single quotes: 'like this'")
    } else if first.is_ascii_digit() || first == '-' || first == '+' || first == '.' {
        d.with_note(
            "the schema language has no numbers; values are strings, booleans, objects and arrays",
        )
    } else if text == "null" || text == "True" || text == "False" {
        d.with_note("values are single-quoted strings, 'true', 'false', objects and arrays")
    } else {
        d.with_note("values are single-quoted strings, true, false, objects and arrays")
    }
}

/// Turns a pest error into a diagnostic in the project's words.
fn syntax_error(file_id: FileId, file: &SourceFile, e: &pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let text = &file.text[pos.min(file.text.len())..];
    let found_len = token_len(text);
    let span = file.span(file_id, pos..pos + found_len);
    let found = describe_found(text);
    let mut expected: Vec<&str> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(|r| expected_name(*r)).collect()
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    expected.sort_unstable();
    expected.dedup();
    if text.starts_with("##") {
        return Diagnostic::error(span, "documentation comment inside an expression")
            .with_label("'##' starts a documentation block")
            .with_note("documentation blocks may only stand between top-level expressions; use '#' for a plain comment");
    }
    let message = match expected.as_slice() {
        [] => format!("unexpected {found}"),
        [one] => format!("expected {one}, found {found}"),
        [init @ .., last] => format!("expected {} or {last}, found {found}", init.join(", ")),
    };
    let mut d = Diagnostic::error(span, message).with_label("unexpected here");
    if text.starts_with('"') {
        d = d.with_note("strings are written in single quotes: 'like this'");
    }
    let before = file.text[..pos.min(file.text.len())].trim_end();
    if before.ends_with(',') && (text.starts_with('}') || text.starts_with(']')) {
        d = d.with_note("trailing commas are not allowed");
    }
    if expected.contains(&"','")
        && (text.starts_with('\'') || text.starts_with('{') || text.starts_with('['))
    {
        d = d.with_note("is a comma missing before this?");
    }
    d
}

fn expected_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::string | Rule::member => "string",
        Rule::object | Rule::lbrace => "'{'",
        Rule::rbrace => "'}'",
        Rule::array | Rule::lbracket => "'['",
        Rule::rbracket => "']'",
        Rule::comma => "','",
        Rule::colon => "':'",
        Rule::boolean => "'true' or 'false'",
        Rule::doc_block => "documentation comment",
        Rule::EOI => "end of file",
        Rule::top_value => "'{'",
        _ => return None,
    })
}

fn token_len(text: &str) -> usize {
    match text.chars().next() {
        None => 0,
        Some(c) if "{}[]:,".contains(c) => 1,
        Some('\'') => text[1..]
            .find(['\'', '\n'])
            .map_or(text.len(), |i| i + 2)
            .min(text.len()),
        Some('#') => text.find('\n').unwrap_or(text.len()),
        Some(c) => text
            .find(|ch: char| ch.is_whitespace() || "{}[]:,'#".contains(ch))
            .unwrap_or(text.len())
            .max(c.len_utf8()),
    }
}

fn describe_found(text: &str) -> String {
    match text.chars().next() {
        None => "end of file".into(),
        Some('\'') => "a string".into(),
        Some('#') => "a comment".into(),
        Some(_) => format!("'{}'", &text[..token_len(text)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("t.json".into(), "t.json".into(), text.into(), None)
    }

    fn parse(text: &str) -> Result<Vec<TopItem>, Vec<String>> {
        let f = file(text);
        parse_file(FileId(0), &f).map_err(|es| {
            es.iter()
                .map(|d| {
                    format!(
                        "{}:{}: {}",
                        d.span.map_or(0, |s| s.line),
                        d.span.map_or(0, |s| s.col),
                        d.message
                    )
                })
                .collect()
        })
    }

    #[test]
    fn values_and_spans() {
        let items = parse("# c\n{ 'a': ['x', true], 'b': { } }\n").unwrap();
        let [TopItem::Expr(v)] = items.as_slice() else {
            panic!()
        };
        assert_eq!((v.span.line, v.span.col), (2, 1));
        let Value::Object(o) = &v.node else { panic!() };
        assert_eq!(o.entries[0].0.node, "a");
        assert_eq!((o.entries[0].0.span.line, o.entries[0].0.span.col), (2, 3));
        let Value::Array(a) = &o.get("a").unwrap().node else {
            panic!()
        };
        assert_eq!(a[0].node, Value::Str("x".into()));
        assert_eq!(a[1].node, Value::Bool(true));
        assert_eq!(o.get("b").unwrap().node, Value::Object(Object::default()));
    }

    #[test]
    fn escapes_and_bad_strings() {
        let items = parse(r"{ 'a': 'x\\y' }").unwrap();
        let [TopItem::Expr(v)] = items.as_slice() else {
            panic!()
        };
        let Value::Object(o) = &v.node else { panic!() };
        assert_eq!(o.get("a").unwrap().node, Value::Str(r"x\y".into()));
        assert_eq!(
            parse(r"{ 'a': 'x\n' }").unwrap_err(),
            vec![r"1:10: unknown escape '\n'"]
        );
        assert_eq!(
            parse("{ 'a': 'x\u{1}' }").unwrap_err(),
            vec![r"1:10: character \u{1} is not allowed in a string"]
        );
        assert_eq!(
            parse("{ 'a': 'xy }\n").unwrap_err(),
            vec!["1:8: string is missing its closing quote"]
        );
    }

    #[test]
    fn missing_commas_are_marked() {
        // Not a syntax error here: the loader decides (an error, or a note
        // in the legacy dialect).
        let items = parse("{ 'a': 'b' 'c': [ 'd' 'e' {} ] }").unwrap();
        let marks: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                TopItem::MissingComma(s) => Some((s.line, s.col)),
                _ => None,
            })
            .collect();
        assert_eq!(marks, [(1, 12), (1, 23), (1, 27)]);
        assert!(matches!(items.last(), Some(TopItem::Expr(_))));
        let Some(TopItem::Expr(v)) = items.last() else {
            panic!()
        };
        let Value::Object(o) = &v.node else { panic!() };
        let Value::Array(c) = &o.get("c").unwrap().node else {
            panic!()
        };
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn structure_errors() {
        assert_eq!(
            parse("{ 'a': 'b' 'c' }").unwrap_err(),
            vec!["1:16: expected ':', found '}'"]
        );
        // A trailing comma parses; whether it is allowed is the release's
        // (the loader says).
        let items = parse("{ 'a': 'b', }").expect("parses");
        assert!(matches!(items.first(), Some(TopItem::TrailingComma(s)) if s.col == 11));
        assert_eq!(
            parse("{ 'a': 'b', , }").unwrap_err(),
            vec!["1:13: expected '}' or string, found ','"]
        );
        assert_eq!(
            parse("{ 'a' 'b' }").unwrap_err(),
            vec!["1:7: expected ':', found a string"]
        );
        assert_eq!(
            parse("{ 'a': 1 }").unwrap_err(),
            vec!["1:8: unexpected '1'"]
        );
        assert_eq!(
            parse("{ 'a': 'b', 'a': 'c' }").unwrap_err(),
            vec!["1:13: duplicate key 'a'"]
        );
        assert_eq!(
            parse("{ 'a':\n## x\n'b' }").unwrap_err(),
            vec!["2:1: documentation comment inside an expression"]
        );
        assert_eq!(parse("{ 'a': [").unwrap_err().len(), 1);
        assert_eq!(
            parse(&"[".repeat(100)).unwrap_err(),
            vec!["1:65: arrays and objects nested more than 64 levels deep"]
        );
    }

    #[test]
    fn doc_blocks() {
        let f = file("##\n# @foo:\n#\n# text\n##\n{ 'x': 'y' }");
        let items = parse(&f.text).unwrap();
        let [TopItem::Doc(d), TopItem::Expr(_)] = items.as_slice() else {
            panic!()
        };
        assert_eq!(d.lines.len(), 3);
        assert_eq!(&f.text[d.lines[0].range()], "# @foo:");
        assert_eq!((d.lines[2].line, d.lines[2].col), (4, 1));
        assert!(d.close.is_some());
        let items = parse("##\n# @foo:\n{ 'x': 'y' }").unwrap();
        let [TopItem::Doc(d), TopItem::Expr(_)] = items.as_slice() else {
            panic!()
        };
        assert!(d.close.is_none());
        assert_eq!((d.end.line, d.end.col), (3, 1));
    }
}
