//! What the async and the blocking clients share.

use crate::{CommandClass, Error};
use qmp_types::de::Key;
use serde::de::{DeserializeOwned, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// The greeting a QMP server sends when a client connects.
#[derive(Debug, Clone, PartialEq)]
pub struct Greeting {
    /// The server's version.
    pub version: qmp_types::VersionInfo,
    /// The capabilities it offers (`oob`...).
    pub capabilities: Vec<qmp_types::QMPCapability>,
}

// The greeting and the heads below decode from objects only: serde's
// derived decoders also take an array (members by position), which QMP
// never sends and which must not pass for a message.
impl<'de> Deserialize<'de> for Greeting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Greeting;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a QMP greeting object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Greeting, A::Error> {
                let (mut version, mut capabilities) = (None, None);
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match key.as_str() {
                        "version" => version = Some(map.next_value()?),
                        "capabilities" => capabilities = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Greeting {
                    version: version.ok_or_else(|| A::Error::missing_field("version"))?,
                    capabilities: capabilities
                        .ok_or_else(|| A::Error::missing_field("capabilities"))?,
                })
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// The greeting line, `{"QMP": {...}}`.
pub(crate) struct GreetingMessage {
    pub(crate) qmp: Greeting,
}

impl<'de> Deserialize<'de> for GreetingMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GreetingMessage;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a QMP greeting message")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GreetingMessage, A::Error> {
                let mut qmp = None;
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match key.as_str() {
                        "QMP" => qmp = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(GreetingMessage {
                    qmp: qmp.ok_or_else(|| A::Error::missing_field("QMP"))?,
                })
            }
        }
        deserializer.deserialize_map(V)
    }
}

impl GreetingMessage {
    /// Reads a greeting line: a protocol error keeping the line when it
    /// is not one.
    pub(crate) fn of(line: &str) -> Result<Greeting, Error> {
        qmp_types::deep::from_str::<GreetingMessage>(line)
            .map(|g| g.qmp)
            .map_err(|e| Error::protocol(format!("not a QMP greeting: {e}"), line))
    }
}

/// Connection settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long to wait for the connection and the greeting (default
    /// 10 s).
    pub connect_timeout: Duration,
    /// The timeout of calls that do not give their own, and whose
    /// command and class have none (default `None`: none; see
    /// [`Config::timeout_for`]).
    pub call_timeout: Option<Duration>,
    /// Timeouts by command name, before those by class (default none;
    /// [`Config::with_command_timeout`]).
    pub command_timeouts: HashMap<String, Duration>,
    /// Timeouts by kind of command (default none;
    /// [`Config::with_class_timeout`]).
    pub class_timeouts: HashMap<CommandClass, Duration>,
    /// A call that takes at least this long is logged as a `tracing`
    /// warning, naming the command (default 5 s; `None`: never).
    pub slow_command: Option<Duration>,
    /// Keep trying to connect, with a growing pause (10 ms to 250 ms),
    /// while the socket does not exist yet or refuses connections, until
    /// `connect_timeout`: for a QEMU just started, whose socket appears a
    /// moment later (default off: a missing socket is an error at once).
    pub connect_retry: bool,
    /// Check every command against the server's own schema before it is
    /// sent (fetched once per connection: `Client::schema`), and fail
    /// with [`Error::Unsupported`] naming what the server lacks (an
    /// unknown command, member or enum value; a deprecated member is
    /// logged as a `tracing` warning). Default off: it costs one
    /// `query-qmp-schema` per connection and a walk of each command.
    pub check_arguments: bool,
    /// Enable out-of-band execution when the server offers it (default
    /// on).
    pub oob: bool,
    /// The longest line accepted from the server; a longer one is an
    /// error, not unbounded memory (default 64 MiB).
    pub max_line: usize,
    /// How many events a subscriber may fall behind before it gets
    /// [`Error::Lagged`] (default 1024).
    pub event_buffer: usize,
    /// Send in-band commands without an `id` and match their replies by
    /// order.
    ///
    /// Off by default: every command carries a unique id and its reply is
    /// routed by it, as the QMP specification recommends for clients that
    /// accept out-of-band execution. On, only the commands whose replies
    /// can come out of order carry one (out-of-band commands, and commands
    /// without a success response, whose error reply must not be taken for
    /// another command's), and the other replies are matched by order,
    /// which QMP guarantees ("the client receives command responses in
    /// issue order"). That makes small calls cheaper for QEMU, which reads
    /// a request one byte per `recvmsg`: `query-version` goes from 38 bytes
    /// (with a four-digit id) to 28 (see the README's benchmark). Only for
    /// a peer that keeps that order. Default off.
    pub match_by_order: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: Duration::from_secs(10),
            call_timeout: None,
            command_timeouts: HashMap::new(),
            class_timeouts: HashMap::new(),
            slow_command: Some(Duration::from_secs(5)),
            connect_retry: false,
            check_arguments: false,
            oob: true,
            max_line: 64 << 20,
            event_buffer: 1024,
            match_by_order: false,
        }
    }
}

/// The first pause between two tries to connect
/// ([`Config::connect_retry`]).
pub(crate) const FIRST_RETRY: Duration = Duration::from_millis(10);

/// The pause after `pause`: twice as long, up to 250 ms.
pub(crate) fn next_retry(pause: Duration) -> Duration {
    (pause * 2).min(Duration::from_millis(250))
}

/// Whether a failure to connect may pass: the socket is not there yet,
/// or not listening yet (QEMU binds it a moment before it listens).
pub(crate) fn worth_retrying(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
    )
}

/// A request line, `{"execute": NAME, "arguments": ..., "id": ID}` and
/// its newline, written straight into bytes: no intermediate JSON value.
pub(crate) fn request_line<A: Serialize + ?Sized>(
    name: &str,
    arguments: Option<&A>,
    oob: bool,
    id: Option<u64>,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(if oob {
        b"{\"exec-oob\":"
    } else {
        b"{\"execute\":"
    });
    serde_json::to_writer(&mut out, name).map_err(Error::Encode)?;
    if let Some(arguments) = arguments {
        out.extend_from_slice(b",\"arguments\":");
        serde_json::to_writer(&mut out, arguments).map_err(Error::Encode)?;
    }
    if let Some(id) = id {
        use std::io::Write;
        // Writing into a Vec cannot fail.
        let _ = write!(out, ",\"id\":{id}");
    }
    out.extend_from_slice(b"}\n");
    Ok(out)
}

/// What routing needs of a line, found in one pass over it.
#[derive(Debug, Default)]
pub(crate) struct Head<'a> {
    pub(crate) event: Option<&'a RawValue>,
    pub(crate) id: Option<&'a RawValue>,
    pub(crate) ret: Option<&'a RawValue>,
    pub(crate) error: Option<&'a RawValue>,
}

impl<'de> Deserialize<'de> for Head<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Head<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a QMP message (an object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head<'de>, A::Error> {
                let mut head = Head::default();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let slot = match key.as_str() {
                        "event" => &mut head.event,
                        "id" => &mut head.id,
                        "return" => &mut head.ret,
                        "error" => &mut head.error,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value()?);
                }
                Ok(head)
            }
        }
        deserializer.deserialize_map(V)
    }
}

impl<'a> Head<'a> {
    /// Reads the head of a line (nested to any depth QEMU sends).
    pub(crate) fn of(line: &'a str) -> Result<Self, serde_json::Error> {
        qmp_types::deep::from_str_with(line, |de| Head::deserialize(de))
    }

    /// The id, when it is one of ours (a number).
    pub(crate) fn id(&self) -> Option<u64> {
        self.id.and_then(|id| id.get().parse().ok())
    }
}

/// A reply line, and where its `return` value is in it (so that the
/// caller decodes just that part, without scanning the line again).
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) line: String,
    pub(crate) ret: Option<std::ops::Range<usize>>,
}

impl Reply {
    /// Where the `return` value of the reply `line` (whose head is
    /// `head`) is; a reply that carries both a `return` and an `error`
    /// is neither a success nor a failure but a protocol violation.
    pub(crate) fn locate(
        head: &Head<'_>,
        line: &str,
    ) -> Result<Option<std::ops::Range<usize>>, Error> {
        if head.ret.is_some() && head.error.is_some() {
            return Err(Error::protocol(
                "a reply with both a return value and an error",
                line,
            ));
        }
        Ok(Self::return_range(head, line))
    }

    /// Where the `return` value of `line` (whose head is `head`) is.
    pub(crate) fn return_range(head: &Head<'_>, line: &str) -> Option<std::ops::Range<usize>> {
        head.ret.map(|raw| {
            // The raw value borrows from the line.
            let start = raw.get().as_ptr() as usize - line.as_ptr() as usize;
            start..start + raw.get().len()
        })
    }

    /// Decodes it (see [`decode_reply`]).
    pub(crate) fn decode<T: DeserializeOwned>(&self, command: &str) -> Result<T, Error> {
        decode_reply(command, &self.line, self.ret.clone())
    }
}

/// Decodes a reply line whose `return` value is at `ret`: the value into
/// `T` (with the path of the failing field), or the error the line
/// carries.
pub(crate) fn decode_reply<T: DeserializeOwned>(
    command: &str,
    line: &str,
    ret: Option<std::ops::Range<usize>>,
) -> Result<T, Error> {
    let Some(range) = ret else {
        return Err(Error::from_error_reply(command, line));
    };
    let raw = &line[range];
    // The fast path; the path of a failing field is worked out only when
    // there is a failure to explain.
    if let Ok(value) = qmp_types::deep::from_str(raw) {
        return Ok(value);
    }
    let mut path = String::new();
    qmp_types::deep::from_str_with(raw, |de| {
        serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
            path = e.path().to_string();
            e.into_inner()
        })
    })
    .map_err(|source| Error::Decode {
        command: command.to_string(),
        path,
        raw: raw.to_string(),
        source,
    })
}

/// The result of a command that sends no reply on success
/// (`success-response: false`): its empty return value.
pub(crate) fn no_reply<T: DeserializeOwned>() -> Result<T, Error> {
    serde_json::from_value(Value::Object(Default::default())).map_err(Error::Encode)
}

/// Decodes a reply line (see [`decode_reply`]).
#[cfg(any(feature = "blocking", feature = "qga"))]
pub(crate) fn decode_return<T: DeserializeOwned>(command: &str, line: &str) -> Result<T, Error> {
    let head = Head::of(line).map_err(|e| Error::protocol(format!("not JSON: {e}"), line))?;
    decode_reply(command, line, Reply::locate(&head, line)?)
}
