//! Entry points for the fuzz targets in `fuzz/`: the client's decoders of
//! what the server sends (greeting, line assembly, the head of a line and
//! whom it is for, the reply's value), reached without a socket. Not API:
//! hidden from the docs, and free to change.

use crate::Error;
use crate::common::{GreetingMessage, Head, Reply, decode_reply};
use crate::framing::{Assembler, Line, Owner, owner_of_head, owner_of_text};
use serde::de::DeserializeOwned;

/// What the client makes of one line.
#[derive(Debug)]
pub enum Routed<T> {
    /// An event (its name, when it can be read).
    Event(Option<String>),
    /// A reply (its id, when it is one of ours) and what its value
    /// decodes to.
    Reply(Option<u64>, Result<T, Error>),
    /// Not a QMP message, or one with an id that is not ours.
    Unknown,
    /// A line that could not be used: its error, and whom it was for.
    Bad(Error, Option<u64>),
}

/// Decodes a greeting line.
pub fn greeting(line: &str) -> Result<crate::Greeting, Error> {
    GreetingMessage::of(line)
}

/// Feeds `bytes` to a line assembler `chunk` bytes at a time (lines at
/// most `max` bytes), and routes each line as the clients do, decoding a
/// reply's value as `T`. Returns what each line became, in order; the
/// text of an incomplete last line is not a line.
///
/// # Panics
/// When the two ways of telling whom a line is for (its parsed head, and
/// the scan of its text used for lines that cannot be parsed) disagree
/// on a line that parses: a bad line would then be routed where a good
/// one is not.
pub fn lines<T: DeserializeOwned>(bytes: &[u8], chunk: usize, max: usize) -> Vec<Routed<T>> {
    let mut assembler = Assembler::new(max);
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        let mut rest = piece;
        while !rest.is_empty() {
            let (used, line) = assembler.feed(rest);
            rest = &rest[used..];
            if let Some(line) = line {
                out.push(route(line));
            }
        }
    }
    out
}

fn route<T: DeserializeOwned>(line: Line) -> Routed<T> {
    let text = match line {
        Line::Text(text) => text,
        Line::Bad(bad) => {
            let id = match bad.owner {
                Owner::Reply(id) => id,
                _ => None,
            };
            return Routed::Bad(bad.error, id);
        }
    };
    let head = match Head::of(&text) {
        Ok(head) => head,
        Err(_) => return Routed::Unknown,
    };
    let owner = owner_of_head(&head);
    let scanned = owner_of_text(text.as_bytes(), text.as_bytes());
    assert_eq!(
        kind(&owner),
        kind(&scanned),
        "the scan disagrees with the head on {text:?}"
    );
    match owner {
        Owner::Event(name) => Routed::Event(name),
        Owner::Unknown => Routed::Unknown,
        Owner::Reply(id) => {
            let result =
                Reply::locate(&head, &text).and_then(|ret| decode_reply::<T>("fuzz", &text, ret));
            Routed::Reply(id, result)
        }
    }
}

/// What the routing of a line depends on: an event or not, and a reply's
/// id (an event's name as scanned keeps its escapes).
fn kind(owner: &Owner) -> (u8, Option<u64>) {
    match owner {
        Owner::Event(_) => (0, None),
        Owner::Reply(id) => (1, *id),
        Owner::Unknown => (2, None),
    }
}
