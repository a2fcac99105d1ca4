//! Reading a schema: the root file, its includes, pragmas, and where
//! documentation comments stand.
//!
//! Two phases:
//!
//! 1. **Discover and parse**: the root file, then every file it includes,
//!    transitively. Parsing is most of the work and files are independent,
//!    so worker threads take files from a shared queue and add the
//!    includes they find. File ids are then given in depth-first include
//!    order, so they never depend on timing.
//! 2. **Walk**: depth first from the root, exactly as QEMU reads: an
//!    `include` takes effect at the point of the directive, so definitions
//!    keep QEMU's order. Including a file a second time does nothing;
//!    including a file that is still being read (a loop) is an error.

use crate::diag::Diagnostic;
use crate::doc::{Doc, DocOptions, parse_doc};
use crate::ir::{Module, ModuleId, Pragma};
use crate::profile::{Profile, Rule};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::syntax::{self, Object, Spanned, TopItem, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError};

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
    /// The modules in include (depth-first) order.
    pub modules: Vec<Module>,
    /// The module of each file, by file id.
    pub module_of_file: Vec<ModuleId>,
    pub exprs: Vec<ExprItem>,
    pub free_docs: Vec<LoadedFreeDoc>,
    pub pragma: Pragma,
    pub diags: Vec<Diagnostic>,
}

/// What a file parses to.
type Parsed = Result<Vec<TopItem>, Vec<Diagnostic>>;

struct Loader {
    out: Loaded,
    /// The rules of the schema's release.
    profile: Profile,
    /// Absolute, normalised paths of the files being read (the include
    /// chain), to detect loops, with their display names.
    stack: Vec<(PathBuf, String)>,
    root_dir: PathBuf,
    /// Every file discovered, by absolute normalised path: its id, or why
    /// it could not be read.
    found: HashMap<PathBuf, Result<FileId, String>>,
    /// Per file id: its absolute path, its parse (taken by the walk), and
    /// whether the walk has reached it.
    abs: Vec<PathBuf>,
    parsed: Vec<Option<Parsed>>,
    walked: Vec<bool>,
}

/// A file to read and parse.
struct Job {
    path: PathBuf,
    display: String,
    abs: PathBuf,
    /// The text when it is already known (the root).
    text: Option<Result<String, ReadError>>,
}

/// A file found by discovery: parsed with a provisional file id.
struct FoundFile {
    file: SourceFile,
    abs: PathBuf,
    parsed: Parsed,
}

enum Discovered {
    File(FoundFile),
    /// The path could not be read: why.
    Unreadable(PathBuf, String),
}

/// The provisional id spans carry until a file has its final id.
const PROVISIONAL: FileId = FileId(u32::MAX);

/// Reads and parses one file; returns it and the files it includes.
fn process(job: Job) -> (Discovered, Vec<Job>) {
    let text = job.text.unwrap_or_else(|| read_text(&job.path));
    let (text, parsed) = match text {
        Ok(text) => (text, None),
        Err(ReadError::Io(e)) => {
            return (Discovered::Unreadable(job.abs, e.to_string()), Vec::new());
        }
        // Keep the text (lossily) so that the error can point into it.
        Err(ReadError::Other(text, message, offset)) => (text, Some((message, offset))),
    };
    let file = SourceFile::new(job.path, job.display, text, None);
    let parsed = match parsed {
        Some((message, offset)) => Err(vec![Diagnostic::error(
            file.span(PROVISIONAL, offset..offset),
            message,
        )]),
        None => syntax::parse_file(PROVISIONAL, &file),
    };
    let mut includes = Vec::new();
    if let Ok(items) = &parsed {
        let dir = file
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let display_dir = Path::new(&file.display)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for name in include_names(items) {
            let path = dir.join(name);
            includes.push(Job {
                abs: absolute(&path),
                path,
                display: normalize(&display_dir.join(name)).display().to_string(),
                text: None,
            });
        }
    }
    (
        Discovered::File(FoundFile {
            file,
            abs: job.abs,
            parsed,
        }),
        includes,
    )
}

/// Reads and parses the root and everything it includes, on all cores.
fn discover(root: Job, sequential: bool) -> Vec<Discovered> {
    struct Queue {
        jobs: VecDeque<Job>,
        busy: usize,
        seen: HashSet<PathBuf>,
        done: Vec<Discovered>,
    }
    let mut seen = HashSet::from([root.abs.clone()]);
    let (found, includes) = process(root);
    let mut jobs = VecDeque::new();
    for job in includes {
        if seen.insert(job.abs.clone()) {
            jobs.push_back(job);
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(if sequential { 1 } else { 8 });
    let queue = Mutex::new(Queue {
        jobs,
        busy: 0,
        seen,
        done: vec![found],
    });
    let wakeup = Condvar::new();
    fn lock(q: &Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
        // A worker that panicked cannot leave the queue half-updated in a
        // way that matters here; keep going rather than propagate.
        q.lock().unwrap_or_else(PoisonError::into_inner)
    }
    let work = || loop {
        let job = {
            let mut q = lock(&queue);
            loop {
                if let Some(job) = q.jobs.pop_front() {
                    q.busy += 1;
                    break job;
                }
                if q.busy == 0 {
                    wakeup.notify_all();
                    return;
                }
                q = wakeup.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let (found, includes) = process(job);
        let mut q = lock(&queue);
        q.done.push(found);
        for job in includes {
            if q.seen.insert(job.abs.clone()) {
                q.jobs.push_back(job);
            }
        }
        q.busy -= 1;
        wakeup.notify_all();
    };
    let has_work = !lock(&queue).jobs.is_empty();
    if threads > 1 && has_work {
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(work);
            }
            work();
        });
    } else {
        work();
    }
    queue
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .done
}

/// The file names of the well-formed `include` directives among `items`
/// (malformed ones are reported by the walk).
fn include_names(items: &[TopItem]) -> impl Iterator<Item = &str> {
    items.iter().filter_map(|item| match item {
        TopItem::Expr(Spanned {
            node: Value::Object(o),
            ..
        }) if o.entries.len() == 1 => o.get("include").and_then(|v| v.node.as_str()),
        _ => None,
    })
}

/// Reads `path` and everything it includes.
pub(crate) fn load(path: &Path, profile: Profile, sequential: bool) -> Loaded {
    load_root(path, read_text(path), profile, sequential)
}

/// Reads a schema held in memory (tests, fuzzing, `build.rs` users with
/// generated text). Includes are resolved relative to `path`'s directory.
pub(crate) fn load_str(path: &Path, text: &str, profile: Profile, sequential: bool) -> Loaded {
    load_root(
        path,
        check_text(text.as_bytes().to_vec()),
        profile,
        sequential,
    )
}

fn load_root(
    path: &Path,
    text: Result<String, ReadError>,
    profile: Profile,
    sequential: bool,
) -> Loaded {
    let abs = absolute(path);
    let mut loader = Loader {
        out: Loaded::default(),
        profile,
        stack: Vec::new(),
        root_dir: abs.parent().map(Path::to_path_buf).unwrap_or_default(),
        found: HashMap::new(),
        abs: Vec::new(),
        parsed: Vec::new(),
        walked: Vec::new(),
    };
    let root = Job {
        path: path.to_path_buf(),
        display: path.display().to_string(),
        abs,
        text: Some(text),
    };
    let discovered = discover(root, sequential);
    loader.number(discovered);
    // The root exists unless it could not be read at all (then `found`
    // holds why, and there is nothing to walk).
    if !loader.abs.is_empty() {
        loader.walk(FileId(0));
    } else if let Some(Err(e)) = loader.found.values().next() {
        loader.out.diags.push(Diagnostic::error_unlocated(format!(
            "cannot read schema file '{}': {e}",
            path.display()
        )));
    }
    loader
        .out
        .module_of_file
        .resize(loader.abs.len(), ModuleId(0));
    loader.out
}

pub(crate) enum ReadError {
    Io(std::io::Error),
    /// Readable but unusable: (lossy text, message, byte offset).
    Other(String, String, usize),
}

pub(crate) fn read_text(path: &Path) -> Result<String, ReadError> {
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
    /// Gives the discovered files their ids, in depth-first include order
    /// from the root (the order QEMU reads them), and registers them.
    fn number(&mut self, discovered: Vec<Discovered>) {
        let mut files: Vec<Option<FoundFile>> = Vec::new();
        let mut index: HashMap<PathBuf, usize> = HashMap::new();
        for d in discovered {
            match d {
                Discovered::File(f) => {
                    index.insert(f.abs.clone(), files.len());
                    files.push(Some(f));
                }
                Discovered::Unreadable(abs, why) => {
                    self.found.insert(abs, Err(why));
                }
            }
        }
        // Depth-first pre-order over the includes, with an explicit stack
        // (no recursion on input).
        let mut order = Vec::with_capacity(files.len());
        let mut visited = vec![false; files.len()];
        let mut stack: Vec<(usize, Vec<usize>)> = Vec::new();
        let includes_of = |i: usize, files: &[Option<FoundFile>]| -> Vec<usize> {
            let Some(f) = &files[i] else {
                return Vec::new();
            };
            let Ok(items) = &f.parsed else {
                return Vec::new();
            };
            let dir = f
                .file
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let mut v: Vec<usize> = include_names(items)
                .filter_map(|n| index.get(&absolute(&dir.join(n))).copied())
                .collect();
            v.reverse(); // popped from the end: first include first
            v
        };
        if !files.is_empty() {
            // The root is processed first by discovery, so it is at 0.
            visited[0] = true;
            order.push(0);
            stack.push((0, includes_of(0, &files)));
        }
        while let Some((_, pending)) = stack.last_mut() {
            match pending.pop() {
                Some(next) if !visited[next] => {
                    visited[next] = true;
                    order.push(next);
                    let inc = includes_of(next, &files);
                    stack.push((next, inc));
                }
                Some(_) => {}
                None => {
                    stack.pop();
                }
            }
        }
        // Files only an unreachable file includes cannot exist; keep any
        // anyway, after the others.
        order.extend((0..files.len()).filter(|&i| !visited[i]));
        for i in order {
            let Some(mut f) = files[i].take() else {
                continue;
            };
            let id = FileId(self.abs.len() as u32);
            match &mut f.parsed {
                Ok(items) => syntax::assign_file(items, id),
                Err(diags) => diags.iter_mut().for_each(|d| d.assign_file(id)),
            }
            self.out.sources.add(f.file);
            self.found.insert(f.abs.clone(), Ok(id));
            self.abs.push(f.abs);
            self.parsed.push(Some(f.parsed));
            self.walked.push(false);
        }
    }

    /// Phase 2: the depth-first walk over one file.
    fn walk(&mut self, id: FileId) {
        let abs = self.abs[id.0 as usize].clone();
        self.walked[id.0 as usize] = true;
        let rel = relative(&abs, &self.root_dir);
        let name = rel.with_extension("").to_string_lossy().into_owned();
        let module = ModuleId(self.out.modules.len() as u32);
        self.out.modules.push(Module { name, file: id });
        if self.out.module_of_file.len() <= id.0 as usize {
            self.out
                .module_of_file
                .resize(id.0 as usize + 1, ModuleId(0));
        }
        self.out.module_of_file[id.0 as usize] = module;
        let shown = self.out.sources.file(id).display.clone();
        self.stack.push((abs, shown));
        let items = match self.parsed[id.0 as usize].take() {
            Some(Ok(items)) => items,
            Some(Err(errors)) => {
                self.out.diags.extend(errors);
                self.stack.pop();
                return;
            }
            None => {
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
                TopItem::MissingComma(span) => {
                    let d = if self.profile.holds(Rule::MissingCommas) {
                        Rule::MissingCommas
                            .note(span, "legacy missing ',' (QEMU 1.x)")
                            .with_label("no comma before this")
                    } else {
                        Diagnostic::error(span, "missing ',' before this")
                            .with_label("',' expected before this")
                            .with_note(self.profile.older("QEMU 1.x did not need commas here"))
                    };
                    self.out.diags.push(d);
                }
                TopItem::TrailingComma(span) => {
                    let d = if self.profile.holds(Rule::MissingCommas) {
                        Rule::MissingCommas
                            .note(span, "legacy trailing ',' (QEMU 1.x)")
                            .with_label("skipped")
                    } else {
                        Diagnostic::error(span, "trailing commas are not allowed")
                            .with_label("remove this ','")
                            .with_note(
                                self.profile
                                    .older("the parser of QEMU 1.0 to 1.5 skipped them"),
                            )
                    };
                    self.out.diags.push(d);
                }
                TopItem::Doc(block) => {
                    self.reject_pending(&mut pending);
                    let options = DocOptions {
                        profile: self.profile,
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
                        // Older releases wrote documentation in layouts
                        // the structured parser does not take: keep the
                        // text, say so, and go on.
                        Err(d) if self.profile.holds(Rule::OldDocLayouts) => {
                            let doc = crate::doc::raw_doc(&block, &self.out.sources.file(id).text);
                            let mut note = Rule::OldDocLayouts.note(
                                d.span.unwrap_or(doc.span),
                                format!(
                                    "legacy documentation layout kept as free text ({})",
                                    d.message
                                ),
                            );
                            note.label = Some("documentation comment".into());
                            self.out.diags.push(note);
                            if doc.symbol.is_some() {
                                pending = Some(doc);
                            } else {
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
                        // Older releases wrote free comments before definitions.
                        if after_free_doc
                            && pending.is_none()
                            && !self.profile.holds(Rule::OldDocLayouts)
                        {
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
        match self.found.get(&abs) {
            Some(Ok(id)) => {
                let id = *id;
                if self.walked[id.0 as usize] {
                    return; // already included: including again does nothing
                }
                // The first include the walk reaches is the one that
                // counts, for the include chain and the displayed path.
                let file = self.out.sources.file_mut(id);
                file.included_from = Some(directive);
                file.display = display;
                file.path = path;
                self.walk(id);
            }
            Some(Err(e)) => self.out.diags.push(
                Diagnostic::error(
                    value.span,
                    format!("cannot read included file '{display}': {e}"),
                )
                .with_label("included here"),
            ),
            // Discovery reads every well-formed include; this one was not
            // seen there only if the two disagree, which they must not.
            None => self.out.diags.push(Diagnostic::error(
                value.span,
                format!("internal error: '{display}' was not discovered"),
            )),
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
            if self.profile.holds(Rule::OldPragmaNames) {
                let modern = match name {
                    "returns-whitelist" => Some("command-returns-exceptions"),
                    "name-case-whitelist" => Some("member-name-exceptions"),
                    _ => None,
                };
                if let Some(m) = modern {
                    self.out.diags.push(
                        Rule::OldPragmaNames
                            .note(key.span, format!("legacy pragma '{name}' (now '{m}')")),
                    );
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
                        d = d.with_note(
                            self.profile
                                .older("QEMU releases before 6.0 used this name"),
                        );
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
