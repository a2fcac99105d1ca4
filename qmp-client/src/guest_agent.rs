//! The guest agent (qemu-ga): no greeting, one command at a time, and
//! resynchronisation with `guest-sync-delimited`, whose reply follows a
//! 0xFF byte: everything before it (a reply to a command whose caller
//! gave up, half a line) is stale and discarded.
//!
//! After anything that may have left the stream out of step (a timeout, a
//! line that cannot be read, an I/O error), the next command
//! resynchronises first: it must never take the reply meant for the
//! command before it.

use crate::client::write_line;
use crate::common::{decode_return, request_line};
use crate::framing::Line;
use crate::{Config, Error, line::Lines};
use qmp_types::Command;
use serde_json::json;
use std::path::Path;
use std::time::Duration;
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
    /// The timeouts by command and class, and the slow-command threshold.
    config: Config,
    /// The agent's commands and whether each is enabled, from
    /// `guest-info` (asked on first use).
    commands: Option<std::collections::HashMap<String, bool>>,
    /// Whether the stream may be out of step: then the next command
    /// synchronises first.
    dirty: bool,
}

impl GuestAgent {
    /// Connects and synchronises, with the default settings: 10 s to
    /// connect, 30 s per command, lines up to 64 MiB.
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Self, Error> {
        let config = Config {
            call_timeout: Some(Duration::from_secs(30)),
            ..Config::default()
        };
        Self::connect_unix_with(path, config).await
    }

    /// Connects and synchronises, with `config`'s `connect_timeout`,
    /// `call_timeout` (the timeout of each command, and of the
    /// synchronisation; `None`: 30 s) and `max_line` (the other settings
    /// are QMP's and do not apply to the guest agent).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), qmp_client::Error> {
    /// use std::time::Duration;
    /// let config = qmp_client::Config {
    ///     call_timeout: Some(Duration::from_secs(5)),
    ///     max_line: 1 << 20,
    ///     ..Default::default()
    /// };
    /// let agent = qmp_client::GuestAgent::connect_unix_with("/run/qga.sock", config).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_unix_with(path: impl AsRef<Path>, config: Config) -> Result<Self, Error> {
        let address = path.as_ref().display().to_string();
        let stream = crate::client::connect_unix_stream(path.as_ref(), &config)
            .await
            .map_err(|e| match e {
                Error::Io(source) => Error::Connect { address, source },
                other => other,
            })?;
        let (r, w) = stream.into_split();
        // A sync id that a previous connection is unlikely to have used.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| (d.as_micros() % 1_000_000_000) as i64);
        let mut agent = GuestAgent {
            lines: Lines::new(r, config.max_line),
            writer: w,
            next_sync: seed,
            timeout: config.call_timeout.unwrap_or(Duration::from_secs(30)),
            config,
            commands: None,
            dirty: true,
        };
        agent.sync().await?;
        Ok(agent)
    }

    /// The timeout of each command without one of its own or of its
    /// class ([`Config::with_class_timeout`]; default 30 s).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Resynchronises: discards anything stale the agent still had to say.
    /// [`GuestAgent::execute`] does it by itself after a command that
    /// failed in a way that may leave a reply behind (a timeout, a line
    /// that cannot be read); call it after abandoning a command (dropping
    /// its future).
    pub async fn sync(&mut self) -> Result<(), Error> {
        self.dirty = true;
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
            self.lines.skip_past(0xFF).await?;
            loop {
                let Some(line) = self.lines.next().await? else {
                    return Err(Error::Disconnected);
                };
                // The reply may share its line with stale bytes before it
                // (another sentinel, binary garbage): what follows the
                // last unreadable byte is tried too. Anything else is
                // stale: keep looking.
                let text = match &line {
                    Line::Text(text) => text.as_str(),
                    Line::Bad(bad) => bad.text.rsplit('\u{FFFD}').next().unwrap_or_default(),
                };
                if let Ok(n) = decode_return::<i64>("guest-sync-delimited", text) {
                    if n == id {
                        return Ok(());
                    }
                }
            }
        })
        .await
        .map_err(|_| Error::Timeout)??;
        self.dirty = false;
        Ok(())
    }

    /// Whether the agent has the command `name`, enabled (the guest
    /// agent has no introspection: `guest-info` lists its commands, and
    /// is asked once per connection). A command the agent has but was
    /// told to block (`--block-rpcs`) is not supported.
    pub async fn has_command(&mut self, name: &str) -> Result<bool, Error> {
        if self.commands.is_none() {
            let info = self.execute(&qmp_types::qga::cmd::GuestInfo).await?;
            let commands = info
                .supported_commands
                .into_iter()
                .map(|c| (c.name, c.enabled))
                .collect();
            self.commands = Some(commands);
        }
        Ok(self
            .commands
            .as_ref()
            .and_then(|c| c.get(name))
            .copied()
            .unwrap_or(false))
    }

    /// Whether the agent has the command `C`, enabled (see
    /// [`GuestAgent::has_command`]).
    pub async fn supports<C: Command>(&mut self) -> Result<bool, Error> {
        self.has_command(C::NAME).await
    }

    /// Runs a command of the guest agent's schema and returns its typed
    /// result. Commands that send no reply on success (`guest-shutdown`)
    /// return as soon as they are sent.
    pub async fn execute<C: Command>(&mut self, command: &C) -> Result<C::Returns, Error> {
        let arguments = C::HAS_ARGUMENTS.then_some(command);
        self.run(C::NAME, arguments, C::SUCCESS_RESPONSE).await
    }

    /// Runs a command by name with JSON arguments; the result is the JSON
    /// `return` value (for tools that take commands from people).
    pub async fn execute_raw(
        &mut self,
        name: &str,
        arguments: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, Error> {
        self.run(name, arguments.as_ref(), true).await
    }

    async fn run<A: serde::Serialize + ?Sized, T: serde::de::DeserializeOwned>(
        &mut self,
        name: &str,
        arguments: Option<&A>,
        success_response: bool,
    ) -> Result<T, Error> {
        if self.dirty {
            self.sync().await?;
        }
        let text = request_line(name, arguments, false, None)?;
        let timeout = self.config.override_for(name).unwrap_or(self.timeout);
        let started = std::time::Instant::now();
        // Out of step until the reply has been read whole.
        self.dirty = true;
        let result = tokio::time::timeout(timeout, async {
            write_line(&mut self.writer, &text).await?;
            if !success_response {
                return crate::common::no_reply();
            }
            let line = self.lines.next_text().await?;
            // The line is read whole: whatever it says, the stream is in
            // step (a reply that is not valid JSON is the exception).
            let result = decode_return::<T>(name, &line);
            self.dirty = matches!(result, Err(Error::Protocol { .. }));
            result
        })
        .await
        .map_err(|_| Error::Timeout)?;
        self.config.note_duration(name, started.elapsed());
        if !success_response && result.is_ok() {
            self.dirty = false;
        }
        result
    }
}
