//! Lines from the server, with a size limit: a longer line is an error,
//! never unbounded memory.

use crate::Error;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

pub(crate) struct Lines<R> {
    inner: BufReader<R>,
    max: usize,
    buf: Vec<u8>,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    pub(crate) fn new(reader: R, max: usize) -> Self {
        Lines {
            inner: BufReader::with_capacity(64 * 1024, reader),
            max,
            buf: Vec::new(),
        }
    }

    /// Discards input up to and including the first `byte` (the guest
    /// agent's 0xFF sentinel): what came before it is stale.
    pub(crate) async fn skip_past(&mut self, byte: u8) -> Result<(), Error> {
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                return Err(Error::Disconnected);
            }
            match available.iter().position(|&b| b == byte) {
                Some(i) => {
                    self.inner.consume(i + 1);
                    return Ok(());
                }
                None => {
                    let n = available.len();
                    self.inner.consume(n);
                }
            }
        }
    }

    /// The next line without its line ending; `None` at the end of the
    /// stream. A partial line at the end of the stream is an error.
    pub(crate) async fn next(&mut self) -> Result<Option<String>, Error> {
        self.buf.clear();
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let partial = String::from_utf8_lossy(&self.buf).into_owned();
                return Err(Error::protocol(
                    "the connection ended in the middle of a line",
                    &partial,
                ));
            }
            let (take, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            if self.buf.len() + take > self.max + 2 {
                return Err(Error::LineTooLong { limit: self.max });
            }
            self.buf.extend_from_slice(&available[..take]);
            self.inner.consume(take);
            if done {
                break;
            }
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        String::from_utf8(std::mem::take(&mut self.buf))
            .map(Some)
            .map_err(|e| {
                Error::protocol(
                    "the line is not UTF-8",
                    &String::from_utf8_lossy(e.as_bytes()),
                )
            })
    }
}
