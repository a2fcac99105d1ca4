//! The guest agent (qemu-ga): no greeting, one command at a time, and
//! resynchronisation with `guest-sync-delimited`, whose reply follows a
//! 0xFF byte: everything before it (a reply to a command whose caller
//! gave up, half a line) is stale and discarded.

use crate::client::write_line;
use crate::common::{decode_return, request_line};
use crate::{Error, line::Lines};
use qmp_types::Command;
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

/// A connection to a guest agent.
///
/// ```no_run
/// # async fn demo() -> Result<(), qmp_client::Error> {
/// use qmp_types::qga::cmd;
/// let mut agent = qmp_client::GuestAgent::connect_unix("/run/qga.sock").await?;
/// let info = agent.execute(&cmd::GuestInfo).await?;
/// println!("guest agent {}", info.version);
/// # Ok(()) }
/// ```
pub struct GuestAgent {
    lines: Lines<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    next_sync: i64,
    timeout: Duration,
}

impl GuestAgent {
    /// Connects and synchronises.
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Self, Error> {
        let stream = tokio::time::timeout(Duration::from_secs(10), UnixStream::connect(path))
            .await
            .map_err(|_| Error::Timeout)??;
        let (r, w) = stream.into_split();
        // A sync id that a previous connection is unlikely to have used.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| (d.as_micros() % 1_000_000_000) as i64);
        let mut agent = GuestAgent {
            lines: Lines::new(r, 64 << 20),
            writer: w,
            next_sync: seed,
            timeout: Duration::from_secs(30),
        };
        agent.sync().await?;
        Ok(agent)
    }

    /// The timeout of each command (default 30 s).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Resynchronises: discards anything stale the agent still had to say.
    /// Call it after a command timed out or was abandoned.
    pub async fn sync(&mut self) -> Result<(), Error> {
        self.next_sync += 1;
        let id = self.next_sync;
        let msg = request_line(
            "guest-sync-delimited",
            Some(&json!({ "id": id })),
            false,
            None,
        )?;
        tokio::time::timeout(self.timeout, async {
            write_line(&mut self.writer, &msg).await?;
            loop {
                self.lines.skip_past(0xFF).await?;
                let Some(line) = self.lines.next().await? else {
                    return Err(Error::Disconnected);
                };
                // A stale line after a stale sentinel: keep looking.
                if let Ok(n) = decode_return::<i64>("guest-sync-delimited", &line) {
                    if n == id {
                        return Ok(());
                    }
                }
            }
        })
        .await
        .map_err(|_| Error::Timeout)?
    }

    /// Runs a command of the guest agent's schema and returns its typed
    /// result. Commands that send no reply on success (`guest-shutdown`)
    /// return as soon as they are sent.
    pub async fn execute<C: Command>(&mut self, command: &C) -> Result<C::Returns, Error> {
        let text = request_line(C::NAME, C::HAS_ARGUMENTS.then_some(command), false, None)?;
        let timeout = self.timeout;
        tokio::time::timeout(timeout, async {
            write_line(&mut self.writer, &text).await?;
            if !C::SUCCESS_RESPONSE {
                return crate::common::no_reply();
            }
            let Some(line) = self.lines.next().await? else {
                return Err(Error::Disconnected);
            };
            decode_return::<C::Returns>(C::NAME, &line)
        })
        .await
        .map_err(|_| Error::Timeout)?
    }
}
