//! Lines from the server for the async clients, with a size limit: a
//! longer line is reported (see [`crate::framing`]), never unbounded
//! memory, and the next line is read as usual.

use crate::Error;
use crate::framing::{Assembler, Line};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

pub(crate) struct Lines<R> {
    inner: BufReader<R>,
    assembler: Assembler,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    pub(crate) fn new(reader: R, max: usize) -> Self {
        Lines {
            inner: BufReader::with_capacity(64 * 1024, reader),
            assembler: Assembler::new(max),
        }
    }

    /// Discards input up to and including the first `byte` (the guest
    /// agent's 0xFF sentinel): what came before it is stale, and so is
    /// any partial line read before it.
    #[cfg(feature = "qga")]
    pub(crate) async fn skip_past(&mut self, byte: u8) -> Result<(), Error> {
        self.assembler.reset();
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

    /// The next line, usable or not; `None` at the end of the stream. A
    /// partial line at the end of the stream is an error.
    pub(crate) async fn next(&mut self) -> Result<Option<Line>, Error> {
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                if self.assembler.is_partial() {
                    return Err(self.assembler.cut_short());
                }
                return Ok(None);
            }
            let (used, line) = self.assembler.feed(available);
            self.inner.consume(used);
            if let Some(line) = line {
                return Ok(Some(line));
            }
        }
    }

    /// The next line of text: an unusable line is an error (for the
    /// exchanges where any line but the expected one is: the greeting,
    /// capability negotiation).
    pub(crate) async fn next_text(&mut self) -> Result<String, Error> {
        match self.next().await? {
            Some(Line::Text(text)) => Ok(text),
            Some(Line::Bad(bad)) => Err(bad.error),
            None => Err(Error::Disconnected),
        }
    }
}
