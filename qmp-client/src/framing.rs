//! Lines from the server, as both clients read them: assembled from
//! whatever the socket gives, bounded in size, and, when a line cannot be
//! used (longer than the limit, not UTF-8, not JSON), what is known of
//! whom it was for, so that the connection goes on and the right caller
//! hears of it.
//!
//! A line over the limit is not kept: its first [`HEAD`] bytes and last
//! [`TAIL`] bytes are, which is where QEMU puts what routing needs (an
//! event's `"event"` member comes second, after `"timestamp"`; a reply's
//! `"id"` comes last).

use crate::Error;
use crate::common::Head;

/// How much of the start of an over-limit line is kept.
pub(crate) const HEAD: usize = 4096;
/// How much of the end of an over-limit line is kept.
pub(crate) const TAIL: usize = 256;

/// A line as read.
#[derive(Debug)]
pub(crate) enum Line {
    /// A line of text (without its line ending).
    Text(String),
    /// A line that cannot be used as it is.
    Bad(BadLine),
}

/// A line that cannot be used: why, and whom it was for.
#[derive(Debug)]
pub(crate) struct BadLine {
    /// The error to report (it keeps what could be kept of the line).
    pub(crate) error: Error,
    /// Whom it was for, as far as can be told.
    pub(crate) owner: Owner,
    /// What was kept of the line: all of it, or for an over-limit line
    /// its first and last bytes around ` ... `.
    pub(crate) text: String,
}

/// Whom an unusable line was for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owner {
    /// An event (with its name, when it could be read).
    Event(Option<String>),
    /// A reply, with its id when it has one of ours (a number), `None`
    /// when it has no id.
    Reply(Option<u64>),
    /// Nothing can be told (not a JSON object, or a reply with an id that
    /// is not ours).
    Unknown,
}

impl BadLine {
    /// A line of text that is not a QMP message (`head_error` is why).
    pub(crate) fn not_a_message(line: &str, head_error: &serde_json::Error) -> Self {
        BadLine {
            owner: owner_of_text(line.as_bytes(), line.as_bytes()),
            error: Error::protocol(format!("not a QMP message: {head_error}"), line),
            text: line.to_string(),
        }
    }
}

/// Assembles lines from the bytes the socket gives.
#[derive(Debug)]
pub(crate) struct Assembler {
    /// The line so far (for an over-limit line, its first bytes only).
    pub(crate) buf: Vec<u8>,
    /// The longest line accepted.
    max: usize,
    /// Set once the line is over the limit: its length so far and its
    /// last bytes.
    over: Option<(usize, Vec<u8>)>,
}

impl Assembler {
    pub(crate) fn new(max: usize) -> Self {
        Assembler {
            buf: Vec::new(),
            max,
            over: None,
        }
    }

    /// Whether part of a line has been read.
    #[cfg(feature = "async")]
    pub(crate) fn is_partial(&self) -> bool {
        !self.buf.is_empty() || self.over.is_some()
    }

    /// Forgets any partial line (what comes next starts afresh).
    #[cfg(all(feature = "async", feature = "qga"))]
    pub(crate) fn reset(&mut self) {
        self.buf.clear();
        self.over = None;
    }

    /// The error for a connection that ends in the middle of a line.
    #[cfg(feature = "async")]
    pub(crate) fn cut_short(&mut self) -> Error {
        let partial = String::from_utf8_lossy(&self.buf).into_owned();
        self.buf.clear();
        self.over = None;
        Error::protocol("the connection ended in the middle of a line", &partial)
    }

    /// Takes bytes from `available`: how many it used, and the line they
    /// complete, if they complete one.
    pub(crate) fn feed(&mut self, available: &[u8]) -> (usize, Option<Line>) {
        let (take, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let chunk = &available[..take];
        match &mut self.over {
            Some((len, tail)) => {
                *len += take;
                keep_tail(tail, chunk);
            }
            None if self.buf.len() + take > self.max + 2 => {
                // Over the limit: keep its start and, from now on, its end.
                let len = self.buf.len() + take;
                let room = HEAD.saturating_sub(self.buf.len()).min(take);
                self.buf.extend_from_slice(&chunk[..room]);
                self.buf.truncate(HEAD);
                self.buf.shrink_to(64 * 1024);
                let mut tail = Vec::with_capacity(2 * TAIL);
                keep_tail(&mut tail, chunk);
                self.over = Some((len, tail));
            }
            None => self.buf.extend_from_slice(chunk),
        }
        if !done {
            return (take, None);
        }
        (take, Some(self.finish()))
    }

    /// The line just completed.
    fn finish(&mut self) -> Line {
        if let Some((_, mut tail)) = self.over.take() {
            trim_line_end(&mut tail);
            let owner = owner_of_text(&self.buf, &tail);
            let tail = &tail[tail.len().saturating_sub(TAIL)..];
            let text = format!(
                "{} ... {}",
                String::from_utf8_lossy(&self.buf),
                String::from_utf8_lossy(tail)
            );
            self.buf.clear();
            return Line::Bad(BadLine {
                error: Error::LineTooLong { limit: self.max },
                owner,
                text,
            });
        }
        trim_line_end(&mut self.buf);
        match String::from_utf8(std::mem::take(&mut self.buf)) {
            Ok(text) => Line::Text(text),
            Err(e) => {
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let owner = match Head::of(&lossy) {
                    Ok(head) => owner_of_head(&head),
                    Err(_) => owner_of_text(lossy.as_bytes(), lossy.as_bytes()),
                };
                Line::Bad(BadLine {
                    error: Error::protocol("the line is not UTF-8", &lossy),
                    owner,
                    text: lossy,
                })
            }
        }
    }
}

fn trim_line_end(buf: &mut Vec<u8>) {
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
}

/// Adds `chunk` to the last bytes kept in `tail` (at most [`TAIL`] of
/// them are needed; up to twice that is kept to move bytes less often).
fn keep_tail(tail: &mut Vec<u8>, chunk: &[u8]) {
    let chunk = &chunk[chunk.len().saturating_sub(TAIL)..];
    if tail.len() + chunk.len() > 2 * TAIL {
        let drop = (tail.len() + chunk.len())
            .saturating_sub(TAIL)
            .min(tail.len());
        tail.drain(..drop);
    }
    tail.extend_from_slice(chunk);
}

/// Whom a well-formed message is for (the same rule as
/// [`owner_of_text`]): an event has `event`; a reply has `return` or
/// `error`, and is one of ours when its id is a number or it has none
/// (matched by order); an object with neither but a numeric id is a
/// broken reply to that call. Anything else answers no call: taking it
/// for a reply without an id would give a call matched by order a line
/// that is not its reply, and shift every later one.
pub(crate) fn owner_of_head(head: &Head<'_>) -> Owner {
    if let Some(name) = head.event {
        return Owner::Event(serde_json::from_str(name.get()).ok());
    }
    let reply = head.ret.is_some() || head.error.is_some();
    owner(reply, head.id.map(|_| head.id()), || None)
}

/// Whom a message is for, from whether it has `return` or `error`, its
/// id (`None`: none; `Some(None)`: not a number), and where the id may
/// be found otherwise (at the end of a line whose middle was not kept).
fn owner(reply: bool, id: Option<Option<u64>>, trailing: impl FnOnce() -> Option<u64>) -> Owner {
    match (reply, id) {
        (_, Some(Some(id))) => Owner::Reply(Some(id)),
        (_, Some(None)) => Owner::Unknown,
        (true, None) => Owner::Reply(trailing()),
        (false, None) => match trailing() {
            Some(id) => Owner::Reply(Some(id)),
            None => Owner::Unknown,
        },
    }
}

/// Whom a line is for, from its first bytes `head` and its last bytes
/// `tail` (both the whole line when it was kept whole), by the rule of
/// [`owner_of_head`]: an object whose top-level members include `event`
/// is an event; one with a `return` or an `error` is a reply, numbered
/// by its `"id"` when that is a number (found among the members read,
/// or, as QEMU writes it, at the very end); an id that is not a number
/// is not ours.
pub(crate) fn owner_of_text(head: &[u8], tail: &[u8]) -> Owner {
    let mut reply = false;
    let mut id: Option<Option<u64>> = None;
    for (key, value) in TopLevel::new(head) {
        match key.as_slice() {
            b"event" => return Owner::Event(value.string),
            b"return" | b"error" => reply = true,
            b"id" => id = Some(value.number),
            _ => {}
        }
    }
    owner(reply, id, || trailing_id(tail))
}

/// What is known of a member's value.
#[derive(Default)]
struct Scalar {
    /// The text of a whole string (escapes kept).
    string: Option<String>,
    /// The value of a whole non-negative integer.
    number: Option<u64>,
}

/// The numeric id at the very end of an object (`..., "id": 12}`): the
/// last member of the outermost object, since nothing closes between it
/// and the final brace.
fn trailing_id(tail: &[u8]) -> Option<u64> {
    let text = tail.trim_ascii_end();
    let text = text.strip_suffix(b"}")?.trim_ascii_end();
    let digits = text.len() - text.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let (rest, number) = text.split_at(digits);
    let rest = rest.trim_ascii_end().strip_suffix(b":")?.trim_ascii_end();
    rest.strip_suffix(b"\"id\"")?;
    std::str::from_utf8(number).ok()?.parse().ok()
}

/// The top-level members of the object at the start of some text, as far
/// as the text goes: each key, and the value when it is a whole string.
struct TopLevel<'a> {
    text: &'a [u8],
    at: usize,
    started: bool,
}

impl<'a> TopLevel<'a> {
    fn new(text: &'a [u8]) -> Self {
        TopLevel {
            text,
            at: 0,
            started: false,
        }
    }

    fn skip_ws(&mut self) {
        while self.text.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    /// A string starting at `self.at` (at its quote): its raw bytes,
    /// escapes kept, or `None` when the text ends inside it.
    fn string(&mut self) -> Option<Vec<u8>> {
        self.at += 1;
        let start = self.at;
        while let Some(&b) = self.text.get(self.at) {
            match b {
                b'\\' => self.at += 2,
                b'"' => {
                    let s = self.text[start..self.at].to_vec();
                    self.at += 1;
                    return Some(s);
                }
                _ => self.at += 1,
            }
        }
        None
    }

    /// Skips a value, saying what it was when it was a string or a
    /// number; `None` when the text ends inside it.
    fn value(&mut self) -> Option<Scalar> {
        self.skip_ws();
        if self.text.get(self.at) == Some(&b'"') {
            let s = self.string()?;
            return Some(Scalar {
                string: String::from_utf8(s).ok(),
                number: None,
            });
        }
        let digits = self.text[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let after = self.text.get(self.at + digits).copied();
        if digits > 0 && matches!(after, Some(b',' | b'}' | b' ' | b'\t' | b'\r' | b'\n')) {
            let number = std::str::from_utf8(&self.text[self.at..self.at + digits])
                .ok()
                .and_then(|n| n.parse().ok());
            self.at += digits;
            return Some(Scalar {
                string: None,
                number,
            });
        }
        let mut depth = 0usize;
        while let Some(&b) = self.text.get(self.at) {
            match b {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => return Some(Scalar::default()),
                b'}' | b']' => depth -= 1,
                b',' if depth == 0 => return Some(Scalar::default()),
                _ => {}
            }
            self.at += 1;
        }
        None
    }
}

impl Iterator for TopLevel<'_> {
    type Item = (Vec<u8>, Scalar);

    fn next(&mut self) -> Option<Self::Item> {
        self.skip_ws();
        if !self.started {
            if self.text.get(self.at) != Some(&b'{') {
                return None;
            }
            self.started = true;
            self.at += 1;
        } else if self.text.get(self.at) == Some(&b',') {
            self.at += 1;
        } else {
            return None;
        }
        self.skip_ws();
        if self.text.get(self.at) != Some(&b'"') {
            return None;
        }
        let key = self.string()?;
        self.skip_ws();
        if self.text.get(self.at) != Some(&b':') {
            return None;
        }
        self.at += 1;
        // A value the text ends in still counts: its key is known.
        let value = self.value().unwrap_or_default();
        Some((key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(max: usize, input: &[u8], chunk: usize) -> Vec<Line> {
        let mut a = Assembler::new(max);
        let mut out = Vec::new();
        for mut piece in input.chunks(chunk) {
            while !piece.is_empty() {
                let (n, line) = a.feed(piece);
                piece = &piece[n..];
                out.extend(line);
            }
        }
        out
    }

    fn owner(line: &Line) -> Owner {
        match line {
            Line::Bad(b) => b.owner.clone(),
            Line::Text(t) => panic!("a good line: {t}"),
        }
    }

    #[test]
    fn lines_are_split_and_trimmed_in_any_chunking() {
        for chunk in [1, 2, 7, 100] {
            let got = lines(100, b"{\"a\": 1}\r\n{}\n", chunk);
            assert!(
                matches!(&got[..], [Line::Text(a), Line::Text(b)] if a == "{\"a\": 1}" && b == "{}")
            );
        }
    }

    #[test]
    fn an_over_limit_reply_is_known_by_its_ends() {
        let big = format!(
            "{{\"return\": [\"{}\"], \"id\": 42}}\r\n",
            "x".repeat(10_000)
        );
        for chunk in [1, 3, 4096, 100_000] {
            let got = lines(1000, big.as_bytes(), chunk);
            assert_eq!(got.len(), 1);
            assert_eq!(owner(&got[0]), Owner::Reply(Some(42)));
            assert!(matches!(
                &got[0],
                Line::Bad(BadLine {
                    error: Error::LineTooLong { limit: 1000 },
                    ..
                })
            ));
        }
        let unnumbered = format!("{{\"return\": [\"{}\"]}}\n{{}}\n", "x".repeat(10_000));
        let got = lines(1000, unnumbered.as_bytes(), 512);
        assert_eq!(owner(&got[0]), Owner::Reply(None));
        assert!(matches!(&got[1], Line::Text(t) if t == "{}"));
    }

    #[test]
    fn an_over_limit_event_is_known_by_its_name() {
        let big = format!(
            "{{\"timestamp\": {{\"seconds\": 1, \"microseconds\": 2}}, \"event\": \"BIG\", \"data\": {{\"x\": \"{}\"}}}}\n",
            "y".repeat(10_000)
        );
        let got = lines(1000, big.as_bytes(), 333);
        assert_eq!(owner(&got[0]), Owner::Event(Some("BIG".into())));
    }

    #[test]
    fn nested_ids_and_strings_are_not_taken_for_the_reply_id() {
        assert_eq!(
            owner_of_text(br#"{"return": {"id": 5}}"#, br#"{"return": {"id": 5}}"#),
            Owner::Reply(None)
        );
        assert_eq!(
            owner_of_text(br#"{"return": [{"id": 5}]}"#, br#"{"return": [{"id": 5}]}"#),
            Owner::Reply(None)
        );
        assert_eq!(
            owner_of_text(
                br#"{"return": "\"event\": 1", "id": 7}"#,
                br#"{"return": "\"event\": 1", "id": 7}"#
            ),
            Owner::Reply(Some(7))
        );
        assert_eq!(
            owner_of_text(br#"{"return": {"event": "X"}}"#, b""),
            Owner::Reply(None)
        );
        assert_eq!(
            owner_of_text(b"[null, 1, {}]", b"[null, 1, {}]"),
            Owner::Unknown
        );
        assert_eq!(owner_of_text(b"not json", b"not json"), Owner::Unknown);
        assert_eq!(
            owner_of_text(br#"{"id": 3, "return": {}}"#, br#"{"id": 3, "return": {}}"#),
            Owner::Reply(Some(3))
        );
        assert_eq!(
            owner_of_text(
                br#"{"id": "x", "return": {}}"#,
                br#"{"id": "x", "return": {}}"#
            ),
            Owner::Unknown
        );
        assert_eq!(
            owner_of_text(
                br#"{"id": 3.5, "error": {}}"#,
                br#"{"id": 3.5, "error": {}}"#
            ),
            Owner::Unknown
        );
    }

    /// The head and the scan follow one rule, so that a line is routed
    /// the same whether it parses or not; and only a message with a
    /// `return` or an `error` answers a call matched by order.
    #[test]
    fn the_head_and_the_scan_agree_on_whom_a_message_is_for() {
        for (text, owner) in [
            (r#"{}"#, Owner::Unknown),
            (r#"{"x": 1}"#, Owner::Unknown),
            (r#"{"return": {}}"#, Owner::Reply(None)),
            (
                r#"{"error": {"class": "GenericError", "desc": ""}}"#,
                Owner::Reply(None),
            ),
            (r#"{"id": 7}"#, Owner::Reply(Some(7))),
            (r#"{"return": {}, "id": "x"}"#, Owner::Unknown),
            (r#"{"event": "STOP"}"#, Owner::Event(Some("STOP".into()))),
        ] {
            let head = Head::of(text).expect("JSON");
            assert_eq!(owner_of_head(&head), owner, "head of {text}");
            assert_eq!(
                owner_of_text(text.as_bytes(), text.as_bytes()),
                owner,
                "scan of {text}"
            );
        }
    }

    #[test]
    fn a_line_that_is_not_utf8_is_known_by_its_head() {
        let got = lines(1000, b"{\"return\": \"\xff\xfe\", \"id\": 9}\n", 5);
        assert_eq!(owner(&got[0]), Owner::Reply(Some(9)));
        let got = lines(
            1000,
            b"{\"event\": \"X\xff\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n",
            5,
        );
        assert!(matches!(owner(&got[0]), Owner::Event(_)));
    }
}
