//! Source files, spans and locations.
//!
//! Every value the parser produces carries a [`Span`]: the file it came
//! from, its byte range, and the 1-based line and column of its start.
//! Line and column are computed once while the syntax tree is built (an
//! in-order walk, so it costs one pass over the text), which keeps error
//! reporting and the IR free of look-ups.

use serde::Serialize;
use std::path::PathBuf;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FileId(pub u32);

/// A region of a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, counted in characters.
    pub col: u32,
}

impl Span {
    /// The byte range of this span.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Span", 5)?;
        st.serialize_field("file", &self.file.0)?;
        st.serialize_field("start", &self.start)?;
        st.serialize_field("end", &self.end)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("col", &self.col)?;
        st.end()
    }
}

/// One source file.
#[derive(Debug, Clone, Serialize)]
pub struct SourceFile {
    /// The path as the user (or the including file) named it, joined onto
    /// the including file's directory.
    pub path: PathBuf,
    /// The path used for display and for module names: relative to the
    /// directory of the root schema file.
    pub display: String,
    /// The text.
    #[serde(skip)]
    pub text: String,
    /// The `include` directive that brought this file in, if any.
    pub included_from: Option<Span>,
    #[serde(skip)]
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// Creates a source file and indexes its lines.
    pub fn new(path: PathBuf, display: String, text: String, included_from: Option<Span>) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        // match_indices on a char searches with memchr.
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
        SourceFile {
            path,
            display,
            text,
            included_from,
            line_starts,
        }
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let col = count_chars(&self.text.as_bytes()[start..offset]);
        (line as u32 + 1, col as u32 + 1)
    }

    /// A span for a byte range of this file.
    pub fn span(&self, file: FileId, range: std::ops::Range<usize>) -> Span {
        let (line, col) = self.line_col(range.start);
        Span {
            file,
            start: range.start as u32,
            end: range.end as u32,
            line,
            col,
        }
    }

    /// The byte range of the 1-based line `line`, without its newline.
    pub fn line_range(&self, line: u32) -> std::ops::Range<usize> {
        let i = (line as usize)
            .saturating_sub(1)
            .min(self.line_starts.len() - 1);
        let start = self.line_starts[i] as usize;
        let end = self
            .line_starts
            .get(i + 1)
            .map(|&e| e as usize - 1)
            .unwrap_or(self.text.len());
        start..end.max(start)
    }
}

/// Counts characters in UTF-8 bytes (bytes that are not continuation bytes).
pub(crate) fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// All files of one schema, root first, then in the order they were included.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty source map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with id `id`.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The file with id `id`, to update (the loader fixes the include
    /// that brought a file in once it knows which one comes first).
    pub(crate) fn file_mut(&mut self, id: FileId) -> &mut SourceFile {
        &mut self.files[id.0 as usize]
    }

    /// Forgets the files from index `len` on (an adoption taken back).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.files.truncate(len);
    }

    /// All files.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The text a span covers.
    pub fn text(&self, span: Span) -> &str {
        &self.file(span.file).text[span.range()]
    }

    /// `path:line:col` for a span.
    pub fn location(&self, span: Span) -> String {
        format!(
            "{}:{}:{}",
            self.file(span.file).display,
            span.line,
            span.col
        )
    }

    /// The include chain of a file, innermost first: each entry is the
    /// span of an `include` directive.
    pub fn include_chain(&self, file: FileId) -> Vec<Span> {
        let mut chain = Vec::new();
        let mut cur = self.file(file).included_from;
        while let Some(span) = cur {
            chain.push(span);
            cur = self.file(span.file).included_from;
            if chain.len() > self.files.len() {
                break; // cannot happen (loops are rejected), but never spin
            }
        }
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("a".into(), "a".into(), "ab\n\u{e9}x\n\ny".into(), None);
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(1), (1, 2));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(5), (2, 2)); // after the two-byte é
        assert_eq!(f.line_col(7), (3, 1));
        assert_eq!(f.line_col(8), (4, 1));
        assert_eq!(f.line_col(100), (4, 2));
        assert_eq!(&f.text[f.line_range(2)], "\u{e9}x");
        assert_eq!(&f.text[f.line_range(3)], "");
        assert_eq!(&f.text[f.line_range(4)], "y");
    }
}
