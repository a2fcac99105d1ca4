//! Errors that keep everything: the server's error class and text, the
//! raw line of anything unexpected, the path of a field that does not
//! decode.

use qmp_types::QapiErrorClass;

/// What can go wrong talking to a QMP server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error.
    #[error("{command}: {class}: {desc}")]
    Qmp {
        /// The command.
        command: String,
        /// The error class (open: a class a newer QEMU adds is kept).
        class: QapiErrorClass,
        /// The server's description.
        desc: String,
        /// The raw reply.
        raw: String,
    },
    /// Reading or writing failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The server sent something that is not valid QMP.
    #[error("protocol violation: {reason}: {line}")]
    Protocol {
        /// What is wrong.
        reason: String,
        /// The line as received.
        line: String,
    },
    /// A reply does not decode into the command's return type.
    #[error("the reply of {command} does not decode at `{path}`: {source}")]
    Decode {
        /// The command.
        command: String,
        /// Where in the value decoding failed (`[0].inserted.ro`).
        path: String,
        /// The `return` value as received.
        raw: String,
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// The arguments could not be encoded.
    #[error("cannot encode the arguments: {0}")]
    Encode(#[source] serde_json::Error),
    /// The call or the connection took too long.
    #[error("timed out")]
    Timeout,
    /// The connection could not be made: to where, and why.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// The socket path or address.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The server did not greet within the connect timeout: it is not a
    /// QMP server (a guest agent sends no greeting; use `GuestAgent`), or
    /// it is busy (a QEMU monitor serves one client at a time).
    #[error(
        "no QMP greeting from {address} within {waited:?}: not a QMP socket (a guest agent sends no greeting), or a monitor already serving another client"
    )]
    NoGreeting {
        /// The socket path or address.
        address: String,
        /// How long the client waited.
        waited: std::time::Duration,
    },
    /// The connection is closed (or closed while the call waited).
    #[error("disconnected")]
    Disconnected,
    /// An event subscriber fell behind and this many events were dropped
    /// for it.
    #[error("the subscriber fell behind: {0} events dropped")]
    Lagged(u64),
    /// A line from the server exceeded the configured limit.
    #[error("a line from the server is longer than {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// The server sent an event that does not decode (or cannot be read:
    /// not UTF-8, longer than the limit). The connection goes on.
    #[error("an event{} does not decode: {reason}", name.as_deref().map(|n| format!(" {n}")).unwrap_or_default())]
    BadEvent {
        /// Its name, when it could be read.
        name: Option<String>,
        /// Why it does not decode.
        reason: String,
        /// The line as received (for a line longer than the limit, its
        /// first and last bytes).
        raw: String,
    },
    /// The event a command's completion waits for did not come in time
    /// (see `Client::execute_until`); the command itself succeeded.
    #[error("{command}: no {event} event within {waited:?}")]
    NoEvent {
        /// The command.
        command: String,
        /// The event awaited.
        event: &'static str,
        /// How long the client waited (for the command and the event).
        waited: std::time::Duration,
    },
    /// A job failed, or was cancelled: its error as the server reports
    /// it (`query-jobs`' `error`, or the block job event's).
    #[error("job {id} failed: {desc}")]
    Job {
        /// The job's id.
        id: String,
        /// The server's description of what went wrong.
        desc: String,
    },
    /// A job did not reach the awaited status in time.
    #[error("job {id} did not end within {waited:?} (last status: {})", status.as_ref().map_or_else(|| "none seen".to_string(), |s| s.to_string()))]
    JobTimeout {
        /// The job's id.
        id: String,
        /// The last status its events reported.
        status: Option<qmp_types::JobStatus>,
        /// How long the client waited.
        waited: std::time::Duration,
    },
    /// The server's schema says it would not take the command as it is
    /// (see `Config::check_arguments`): nothing was sent.
    #[error("{command}: {server} would not take it: {}", findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Unsupported {
        /// The command.
        command: String,
        /// What the server lacks (an unknown command, member or value).
        findings: Vec<crate::Finding>,
        /// The server, as its version names it (`QEMU 7.2.0`).
        server: String,
    },
    /// The call is not possible (out-of-band not allowed or negotiated).
    #[error("{0}")]
    NotAllowed(String),
}

impl Error {
    /// `self`, said of the connection to `address`: a failure to connect
    /// or a missing greeting names the address (an I/O error alone does
    /// not say which socket it was).
    pub(crate) fn connecting(self, address: &str, waited: std::time::Duration) -> Self {
        match self {
            Error::Io(source) => Error::Connect {
                address: address.to_string(),
                source,
            },
            Error::Timeout => Error::NoGreeting {
                address: address.to_string(),
                waited,
            },
            other => other,
        }
    }

    pub(crate) fn protocol(reason: impl Into<String>, line: &str) -> Self {
        Error::Protocol {
            reason: reason.into(),
            line: line.to_string(),
        }
    }

    /// An `{"error": {...}}` reply (decoded as `qmp_types::QmpError`), or
    /// a protocol violation if it is not one.
    pub(crate) fn from_error_reply(command: &str, line: &str) -> Self {
        let error = crate::common::Head::of(line)
            .ok()
            .and_then(|head| head.error)
            .and_then(|raw| qmp_types::deep::from_str::<qmp_types::QmpError>(raw.get()).ok());
        match error {
            Some(e) => Error::Qmp {
                command: command.to_string(),
                class: e.class,
                desc: e.desc,
                raw: line.to_string(),
            },
            None => Error::protocol("a reply that is neither a return nor an error", line),
        }
    }
}
