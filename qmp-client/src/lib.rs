//! An async QMP client for QEMU, on tokio.
//!
//! ```no_run
//! # async fn demo() -> Result<(), qmp_client::Error> {
//! use qmp_types::cmd;
//! let client = qmp_client::Client::connect_unix("/run/qemu/qmp.sock").await?;
//! println!("QEMU {}", client.greeting().version.qemu.major);
//! let status = client.execute(&cmd::QueryStatus).await?;
//! println!("{:?}", status.status);
//! # Ok(()) }
//! ```
//!
//! One reader task owns the connection's read half: it routes each reply
//! by its id to the call waiting for it (or, with
//! [`Config::match_by_order`], in-band replies by order) and decodes each
//! event once for every subscriber. A [`Client`] is a cheap handle: clone
//! it into as many tasks as you like and call concurrently; commands are
//! written whole, one write each. Dropping a call's future at any point
//! is safe: its reply, when it comes, is dropped, and a request it left
//! half written is finished before the next one. When the connection
//! dies, every pending call fails with [`Error::Disconnected`].
//!
//! Events go to any number of [`EventStream`]s through bounded buffers: a
//! subscriber that does not keep up gets [`Error::Lagged`] and never
//! stalls replies or other subscribers. Subscribe before sending the
//! command whose event you wait for, and no event can be missed; or let
//! [`Client::execute_until`] do both. A subscription to one kind of event,
//! [`Client::events_of`], yields that event typed, with its timestamp.
//! Streams are cancel safe (see [`EventStream`]).
//!
//! Jobs ([`Client::run_job`], [`Job`]) are followed from the moment
//! before their command is sent to their dismissal, and their error is a
//! typed [`Error::Job`]. Timeouts can be set per call, per command and
//! per [`CommandClass`] (hot-plug, block job, migration, `fsfreeze`); see
//! [`Config`].

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod common;
mod error;
#[cfg(feature = "async")]
mod events;
mod framing;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(all(feature = "async", feature = "qga"))]
mod guest_agent;
#[cfg(feature = "async")]
mod jobs;
#[cfg(feature = "async")]
mod line;
mod protocol;
mod server_schema;
mod timeouts;
#[cfg(feature = "async")]
mod unix;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use client::Client;
pub use common::{Config, Greeting};
pub use error::Error;
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use events::{EventStream, EventsOf};
#[cfg(all(feature = "async", feature = "qga"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "async", feature = "qga"))))]
pub use guest_agent::GuestAgent;
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use jobs::Job;
/// The bindings this client speaks, re-exported so that one dependency
/// keeps the two in step: `qmp_client::qmp_types::cmd::QueryStatus`.
pub use qmp_types;
pub use server_schema::{Finding, JsonKind, MemberView, ServerSchema, TypeView};
pub use timeouts::CommandClass;

#[cfg(feature = "async")]
mod client;
