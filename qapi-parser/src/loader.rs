//! Reading a schema: the root file, its includes, pragmas, and where
//! documentation comments stand.
//!
//! Files are parsed depth first: an `include` is read at the point of the
//! directive, so definitions keep the order QEMU gives them. Including a
//! file a second time does nothing; including a file that is still being
//! read (a loop) is an error.

use crate::Options;
use crate::diag::Diagnostic;
use crate::doc::{Doc, DocOptions, parse_doc};
use crate::ir::{Module, Pragma};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::syntax::{self, Object, Spanned, TopItem, Value};
use std::path::{Component, Path, PathBuf};

/// A definition expression with its documentation.
#[derive(Debug)]
pub(crate) struct ExprItem {
    pub file: FileId,
    pub obj: Object,
    pub span: Span,
    pub doc: Option<Doc>,
}

/// A free-form documentation block, and how many definitions came before it.
#[derive(Debug)]
pub(crate) struct LoadedFreeDoc {
    pub file: FileId,
    pub doc: Doc,
    pub before_expr: usize,
}

/// Everything read from the files.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub sources: SourceMap,
    pub modules: Vec<Module>,
    pub exprs: Vec<ExprItem>,
    pub free_docs: Vec<LoadedFreeDoc>,
    pub pragma: Pragma,
    pub diags: Vec<Diagnostic>,
}

struct Loader {
    out: Loaded,
    options: Options,
    /// Absolute, normalised paths of the files being read (the include
    /// chain), to detect loops, with their display names.
    stack: Vec<(PathBuf, String)>,
    /// Absolute, normalised paths of every file read.
    seen: Vec<PathBuf>,
    root_dir: PathBuf,
}

/// Reads `path` and everything it includes.
pub(crate) fn load(path: &Path, options: Options) -> Loaded {
    let abs = absolute(path);
    let mut loader = Loader {
        out: Loaded::default(),
        options,
        stack: Vec::new(),
        seen: Vec::new(),
        root_dir: abs.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    match read_text(path) {
        Ok(text) => {
            loader.file(
                path.to_path_buf(),
                path.display().to_string(),
                abs,
                text,
                None,
            );
        }
        Err(ReadError::Io(e)) => loader.out.diags.push(Diagnostic::error_unlocated(format!(
            "cannot read schema file '{}': {e}",
            path.display()
        ))),
        Err(ReadError::Other(text, message, offset)) => {
            let id = loader.add_file(path.to_path_buf(), path.display().to_string(), text, None);
            let f = loader.out.sources.file(id);
            let span = f.span(id, offset..offset);
            loader.out.diags.push(Diagnostic::error(span, message));
        }
    }
    loader.out
}

/// Reads a schema held in memory (tests, fuzzing, `build.rs` users with
/// generated text). Includes are resolved relative to `path`'s directory.
pub(crate) fn load_str(path: &Path, text: &str, options: Options) -> Loaded {
    let abs = absolute(path);
    let mut loader = Loader {
        out: Loaded::default(),
        options,
        stack: Vec::new(),
        seen: Vec::new(),
        root_dir: abs.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    match check_text(text.as_bytes().to_vec()) {
        Ok(text) => loader.file(
            path.to_path_buf(),
            path.display().to_string(),
            abs,
            text,
            None,
        ),
        Err(ReadError::Other(text, message, offset)) => {
            let id = loader.add_file(path.to_path_buf(), path.display().to_string(), text, None);
            let span = loader.out.sources.file(id).span(id, offset..offset);
            loader.out.diags.push(Diagnostic::error(span, message));
        }
        Err(ReadError::Io(_)) => {}
    }
    loader.out
}

enum ReadError {
    Io(std::io::Error),
    /// Readable but unusable: (lossy text, message, byte offset).
    Other(String, String, usize),
}

fn read_text(path: &Path) -> Result<String, ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::Io(std::io::Error::other("it is a directory")));
    }
    if meta.len() > syntax::MAX_FILE_SIZE as u64 {
        return Err(ReadError::Io(std::io::Error::other(format!(
            "it is {} MiB; schema files are limited to {} MiB",
            meta.len() >> 20,
            syntax::MAX_FILE_SIZE >> 20
        ))));
    }
    let bytes = std::fs::read(path).map_err(ReadError::Io)?;
    check_text(bytes)
}

fn check_text(bytes: Vec<u8>) -> Result<String, ReadError> {
    if bytes.len() > syntax::MAX_FILE_SIZE {
        return Err(ReadError::Other(
            String::new(),
            format!(
                "schema text is {} MiB; the limit is {} MiB",
                bytes.len() >> 20,
                syntax::MAX_FILE_SIZE >> 20
            ),
            0,
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // The lossy text has the same offsets up to the first bad byte.
            Err(ReadError::Other(
                text,
                "the file is not valid UTF-8 text".into(),
                offset,
            ))
        }
    }
}

/// The absolute form of a path, with `.` and `..` resolved lexically
/// (as QEMU does: no symbolic links are followed).
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    normalize(&abs)
}

/// Resolves `.` and `..` lexically; leading `..` of a relative path stay.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    let p: PathBuf = out.iter().collect();
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

/// `path` relative to `base` (both absolute and normalised).
fn relative(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

impl Loader {
    fn add_file(
        &mut self,
        path: PathBuf,
        display: String,
        text: String,
        included_from: Option<Span>,
    ) -> FileId {
        self.out
            .sources
            .add(SourceFile::new(path, display, text, included_from))
    }

    fn file(
        &mut self,
        path: PathBuf,
        display: String,
        abs: PathBuf,
        text: String,
        included_from: Option<Span>,
    ) {
        let id = self.add_file(path, display, text, included_from);
        let rel = relative(&abs, &self.root_dir);
        let name = rel.with_extension("").to_string_lossy().into_owned();
        self.out.modules.push(crate::ir::Module { name, file: id });
        let shown = self.out.sources.file(id).display.clone();
        self.stack.push((abs.clone(), shown));
        self.seen.push(abs);
        let items = match syntax::parse_file(id, self.out.sources.file(id)) {
            Ok(items) => items,
            Err(errors) => {
                self.out.diags.extend(errors);
                self.stack.pop();
                return;
            }
        };
        // A definition documentation block waiting for its definition.
        let mut pending: Option<Doc> = None;
        // Whether the previous item was a free-form documentation block.
        let mut after_free_doc = false;
        for item in items {
            match item {
                TopItem::Doc(block) => {
                    self.reject_pending(&mut pending);
                    let options = DocOptions {
                        legacy: self.options.legacy,
                    };
                    match parse_doc(&block, &self.out.sources.file(id).text, options) {
                        Ok((doc, notes)) => {
                            self.out.diags.extend(notes);
                            if doc.symbol.is_some() {
                                pending = Some(doc);
                            } else {
                                // Free-form: it must not stand directly
                                // before a definition. Remember it; the
                                // next item decides.
                                self.out.free_docs.push(LoadedFreeDoc {
                                    file: id,
                                    doc,
                                    before_expr: self.out.exprs.len(),
                                });
                                pending = None;
                                after_free_doc = true;
                                continue;
                            }
                        }
                        Err(d) => {
                            self.out.diags.push(d);
                            pending = None;
                        }
                    }
                    after_free_doc = false;
                }
                TopItem::Expr(v) => {
                    let after_free_doc = std::mem::take(&mut after_free_doc);
                    let Value::Object(obj) = v.node else {
                        self.out.diags.push(
                            Diagnostic::error(
                                v.span,
                                format!(
                                    "top-level expression must be an object, not {}",
                                    v.node.kind()
                                ),
                            )
                            .with_label("expected '{'"),
                        );
                        pending = None;
                        continue;
                    };
                    if let Some(inc) = obj.get("include") {
                        self.reject_pending(&mut pending);
                        self.include(id, &obj, inc, v.span);
                    } else if let Some(pragma) = obj.get("pragma") {
                        self.reject_pending(&mut pending);
                        self.pragma(&obj, pragma);
                    } else {
                        if after_free_doc && pending.is_none() {
                            if let Some(free) = self.out.free_docs.last() {
                                self.out.diags.push(
                                    Diagnostic::error(free.doc.span, "a definition's documentation must start with '@NAME:'")
                                        .with_label("this comment stands right before a definition")
                                        .with_related(v.span, "the definition")
                                        .with_note("free-form documentation needs a definition's own documentation between it and the definition"),
                                );
                            }
                        }
                        self.out.exprs.push(ExprItem {
                            file: id,
                            obj,
                            span: v.span,
                            doc: pending.take(),
                        });
                    }
                }
            }
        }
        self.reject_pending(&mut pending);
        self.stack.pop();
    }

    fn reject_pending(&mut self, pending: &mut Option<Doc>) {
        if let Some(doc) = pending.take() {
            let symbol = doc.symbol.as_deref().unwrap_or_default();
            self.out.diags.push(
                Diagnostic::error(
                    doc.span,
                    format!("documentation for '{symbol}' is not followed by its definition"),
                )
                .with_label("documentation comment")
                .with_note(
                    "a definition's documentation must come immediately before the definition",
                ),
            );
        }
    }

    fn include(&mut self, from: FileId, obj: &Object, value: &Spanned<Value>, directive: Span) {
        if let Some((k, _)) = obj.entries.iter().find(|(k, _)| k.node != "include") {
            self.out.diags.push(
                Diagnostic::error(
                    k.span,
                    format!("unexpected key '{}' in an 'include' directive", k.node),
                )
                .with_label("an include takes no other keys"),
            );
            return;
        }
        let Value::Str(name) = &value.node else {
            self.out.diags.push(
                Diagnostic::error(
                    value.span,
                    format!(
                        "'include' needs a file name string, not {}",
                        value.node.kind()
                    ),
                )
                .with_label("expected a string"),
            );
            return;
        };
        let including = self.out.sources.file(from);
        let dir = including
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let display_dir = Path::new(&including.display)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let path = dir.join(name);
        let display = normalize(&display_dir.join(name)).display().to_string();
        let abs = absolute(&path);
        if self.stack.iter().any(|(p, _)| *p == abs) {
            let mut d =
                Diagnostic::error(value.span, format!("including '{name}' here forms a loop"))
                    .with_label("the file is already being read");
            for (_, shown) in self.stack.iter().skip_while(|(p, _)| *p != abs) {
                d = d.with_note(format!("'{shown}' is being read"));
            }
            self.out.diags.push(d);
            return;
        }
        if self.seen.contains(&abs) {
            return; // already included: including again does nothing
        }
        match read_text(&path) {
            Ok(text) => self.file(path, display, abs, text, Some(directive)),
            Err(ReadError::Io(e)) => self.out.diags.push(
                Diagnostic::error(
                    value.span,
                    format!("cannot read included file '{display}': {e}"),
                )
                .with_label("included here"),
            ),
            Err(ReadError::Other(text, message, offset)) => {
                let id = self.add_file(path, display, text, Some(directive));
                let span = self.out.sources.file(id).span(id, offset..offset);
                self.out.diags.push(Diagnostic::error(span, message));
            }
        }
    }

    fn pragma(&mut self, obj: &Object, value: &Spanned<Value>) {
        if let Some((k, _)) = obj.entries.iter().find(|(k, _)| k.node != "pragma") {
            self.out.diags.push(
                Diagnostic::error(
                    k.span,
                    format!("unexpected key '{}' in a 'pragma' directive", k.node),
                )
                .with_label("a pragma directive takes no other keys"),
            );
            return;
        }
        let Value::Object(pragmas) = &value.node else {
            self.out.diags.push(
                Diagnostic::error(
                    value.span,
                    format!("'pragma' needs an object, not {}", value.node.kind()),
                )
                .with_label("expected '{'"),
            );
            return;
        };
        for (key, v) in &pragmas.entries {
            let mut name = key.node.as_str();
            if self.options.legacy {
                let modern = match name {
                    "returns-whitelist" => Some("command-returns-exceptions"),
                    "name-case-whitelist" => Some("member-name-exceptions"),
                    _ => None,
                };
                if let Some(m) = modern {
                    self.out.diags.push(Diagnostic::note(
                        key.span,
                        format!("legacy pragma '{name}' (now '{m}')"),
                    ));
                    name = m;
                }
            }
            let list = match name {
                "doc-required" => {
                    match v.node {
                        Value::Bool(b) => self.out.pragma.doc_required = b,
                        _ => self.out.diags.push(
                            Diagnostic::error(
                                v.span,
                                "pragma 'doc-required' must be true or false",
                            )
                            .with_label(format!("{} here", v.node.kind())),
                        ),
                    }
                    continue;
                }
                "command-name-exceptions" => &mut self.out.pragma.command_name_exceptions,
                "command-returns-exceptions" => &mut self.out.pragma.command_returns_exceptions,
                "documentation-exceptions" => &mut self.out.pragma.documentation_exceptions,
                "member-name-exceptions" => &mut self.out.pragma.member_name_exceptions,
                other => {
                    let mut d = Diagnostic::error(key.span, format!("unknown pragma '{other}'"))
                        .with_label("not a pragma")
                        .with_note("pragmas are 'doc-required', 'command-name-exceptions', 'command-returns-exceptions', 'documentation-exceptions' and 'member-name-exceptions'");
                    if matches!(other, "returns-whitelist" | "name-case-whitelist") {
                        d = d.with_note("QEMU releases before 6.0 used this name: pass --legacy to accept older schemas");
                    }
                    self.out.diags.push(d);
                    continue;
                }
            };
            let strings = match &v.node {
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.node.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>(),
                _ => None,
            };
            match strings {
                Some(s) => *list = s,
                None => self.out.diags.push(
                    Diagnostic::error(
                        v.span,
                        format!("pragma '{}' must be a list of strings", key.node),
                    )
                    .with_label(format!("{} here", v.node.kind())),
                ),
            }
        }
    }
}
