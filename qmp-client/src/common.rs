//! What the async and the blocking clients share.

use crate::Error;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// The greeting a QMP server sends when a client connects.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Greeting {
    /// The server's version.
    pub version: qmp_types::VersionInfo,
    /// The capabilities it offers (`oob`...).
    pub capabilities: Vec<qmp_types::QMPCapability>,
}

#[derive(Deserialize)]
pub(crate) struct GreetingMessage {
    #[serde(rename = "QMP")]
    pub(crate) qmp: Greeting,
}

/// Connection settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long to wait for the connection and the greeting.
    pub connect_timeout: Duration,
    /// The timeout of calls that do not give their own (`None`: none).
    pub call_timeout: Option<Duration>,
    /// Enable out-of-band execution when the server offers it.
    pub oob: bool,
    /// The longest line accepted from the server; a longer one is an
    /// error, not unbounded memory.
    pub max_line: usize,
    /// How many events a subscriber may fall behind before it gets
    /// [`Error::Lagged`].
    pub event_buffer: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: Duration::from_secs(10),
            call_timeout: None,
            oob: true,
            max_line: 64 << 20,
            event_buffer: 1024,
        }
    }
}

/// Decodes a reply line: the `return` value into `T` (with the path of
/// the failing field), or the error it carries.
pub(crate) fn decode_return<T: serde::de::DeserializeOwned>(
    command: &str,
    line: &str,
) -> Result<T, Error> {
    #[derive(Deserialize)]
    struct Return<'a> {
        #[serde(rename = "return", borrow)]
        ret: Option<&'a serde_json::value::RawValue>,
    }
    let reply: Return<'_> =
        serde_json::from_str(line).map_err(|e| Error::protocol(format!("not JSON: {e}"), line))?;
    let Some(raw) = reply.ret else {
        let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        return Err(Error::from_error_reply(&v, command, line));
    };
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut de).map_err(|e| Error::Decode {
        command: command.to_string(),
        path: e.path().to_string(),
        raw: raw.get().to_string(),
        source: e.into_inner(),
    })
}
