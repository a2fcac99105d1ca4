//! Event subscriptions of the async client: every event, the events a
//! filter picks, or one kind of event, typed.

use crate::client::Delivery;
use crate::{Client, Error};
use qmp_types::{EventIn, EventMessage, EventSet};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Which events a subscriber wants.
pub(crate) type EventFilter<E> = Box<dyn Fn(&EventMessage<E>) -> bool + Send + Sync>;

/// A subscription to events, as the event set `E` (see
/// [`Client::events`], [`Client::events_where`]).
///
/// # Cancel safety
///
/// [`EventStream::next`] and [`EventStream::wait_for`] are cancel safe:
/// dropping either before it completes (a `tokio::select!` branch that
/// loses, a timeout) loses no event. An event is taken off the
/// subscription only in the poll that returns it, so the next call gets
/// every event the dropped one had not returned.
///
/// ```no_run
/// # async fn demo(client: qmp_client::Client) -> Result<(), qmp_client::Error> {
/// let mut events = client.events();
/// let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
/// loop {
///     tokio::select! {
///         e = events.next() => println!("{}", qmp_types::EventSet::name(&e?.event)),
///         _ = tick.tick() => println!("tick"),
///     }
/// }
/// # }
/// ```
pub struct EventStream<E> {
    pub(crate) rx: broadcast::Receiver<Delivery<E>>,
    pub(crate) filter: Option<EventFilter<E>>,
    /// The one event wanted, for [`Client::events_of`].
    pub(crate) name: Option<&'static str>,
}

impl<E> EventStream<E> {
    /// The next event. The stream goes on after an error, except
    /// [`Error::Disconnected`], which means the connection is closed:
    /// [`Error::Lagged`] means events were dropped because this
    /// subscriber fell behind; [`Error::BadEvent`] that the server sent
    /// an event that does not decode (it has the raw line). A stream of
    /// [`Client::events_of`] gets only the bad events of its kind (or
    /// whose name cannot be read); other streams get every bad event,
    /// since their filter needs a decoded event. Cancel safe.
    pub async fn next(&mut self) -> Result<Arc<EventMessage<E>>, Error> {
        loop {
            // `recv` is cancel safe, and nothing below awaits: an event
            // received is returned (or skipped) in the same poll.
            match self.rx.recv().await {
                Ok(Ok(e)) => {
                    if self.filter.as_ref().is_none_or(|f| f(&e)) {
                        return Ok(e);
                    }
                }
                Ok(Err(bad)) => {
                    let wanted = match (self.name, &bad.name) {
                        (Some(wanted), Some(name)) => wanted == name,
                        _ => true,
                    };
                    if wanted {
                        return Err(bad.error());
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => return Err(Error::Lagged(n)),
                Err(broadcast::error::RecvError::Closed) => return Err(Error::Disconnected),
            }
        }
    }

    /// Waits up to `timeout` for an event for which `matches` holds
    /// (skipping others, and events lost to lag). An event that does not
    /// decode ends the wait with [`Error::BadEvent`] on a stream of
    /// [`Client::events_of`] (it may be the one awaited); other streams
    /// skip it (the reader task has logged it). Cancel safe.
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        matches: impl Fn(&EventMessage<E>) -> bool,
    ) -> Result<Arc<EventMessage<E>>, Error> {
        let named = self.name.is_some();
        tokio::time::timeout(timeout, async {
            loop {
                match self.next().await {
                    Ok(e) if matches(&e) => return Ok(e),
                    Ok(_) | Err(Error::Lagged(_)) => {}
                    Err(Error::BadEvent { .. }) if !named => {}
                    Err(e) => return Err(e),
                }
            }
        })
        .await
        .map_err(|_| Error::Timeout)?
    }
}

/// A subscription to one kind of event, `T`, from the event set `E`
/// (see [`Client::events_of`]): each event comes as itself, with its
/// timestamp.
///
/// ```no_run
/// # async fn demo(client: qmp_client::Client) -> Result<(), qmp_client::Error> {
/// use qmp_types::event::JobStatusChange;
/// let mut jobs = client.events_of::<JobStatusChange>();
/// let msg = jobs.next().await?;
/// println!("job {} is {} at {}", msg.event.id, msg.event.status, msg.timestamp.seconds);
/// # Ok(()) }
/// ```
///
/// Cancel safe, as [`EventStream`] is.
pub struct EventsOf<T, E = qmp_types::Events> {
    stream: EventStream<E>,
    _kind: PhantomData<fn() -> T>,
}

impl<T: EventIn<E> + Clone, E: EventSet> EventsOf<T, E> {
    /// The next event of this kind; errors as [`EventStream::next`] (a
    /// bad event here is one of this kind, or one whose name cannot be
    /// read). Cancel safe.
    pub async fn next(&mut self) -> Result<EventMessage<T>, Error> {
        loop {
            if let Some(e) = typed(self.stream.next().await?) {
                return Ok(e);
            }
        }
    }

    /// Waits up to `timeout` for an event of this kind for which
    /// `matches` holds (skipping others, and events lost to lag); an
    /// event of this kind that does not decode ends the wait with
    /// [`Error::BadEvent`], since it may be the one awaited. Cancel safe.
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        matches: impl Fn(&T) -> bool,
    ) -> Result<EventMessage<T>, Error> {
        tokio::time::timeout(timeout, async {
            loop {
                match self.next().await {
                    Ok(e) if matches(&e.event) => return Ok(e),
                    Ok(_) | Err(Error::Lagged(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        })
        .await
        .map_err(|_| Error::Timeout)?
    }

    /// The subscription as the event set (for a filter on the whole
    /// message, say).
    pub fn into_untyped(self) -> EventStream<E> {
        self.stream
    }
}

/// The event of kind `T` in `msg`, taken out when this subscriber holds
/// the only reference (the usual case) and cloned otherwise; `None` when
/// `msg` holds another kind (a filter keeps those away).
fn typed<T: EventIn<E> + Clone, E: EventSet>(msg: Arc<EventMessage<E>>) -> Option<EventMessage<T>> {
    match Arc::try_unwrap(msg) {
        Ok(m) => T::take(m.event).ok().map(|event| EventMessage {
            event,
            timestamp: m.timestamp,
            unknown_members: m.unknown_members,
        }),
        Err(shared) => T::get(&shared.event).map(|event| EventMessage {
            event: event.clone(),
            timestamp: shared.timestamp.clone(),
            unknown_members: shared.unknown_members.clone(),
        }),
    }
}

impl<E: EventSet + Send + Sync + 'static> Client<E> {
    /// Subscribes to every event from now on.
    pub fn events(&self) -> EventStream<E> {
        EventStream {
            rx: self.subscribe(),
            filter: None,
            name: None,
        }
    }

    /// Subscribes to the events for which `filter` holds.
    pub fn events_where(
        &self,
        filter: impl Fn(&EventMessage<E>) -> bool + Send + Sync + 'static,
    ) -> EventStream<E> {
        EventStream {
            rx: self.subscribe(),
            filter: Some(Box::new(filter)),
            name: None,
        }
    }

    /// Subscribes to one kind of event, by its type: the stream yields
    /// `EventMessage<T>`, the event itself and its timestamp. Subscribe
    /// before sending the command whose event you wait for, and it cannot
    /// be missed (or use [`Client::execute_until`]).
    pub fn events_of<T: EventIn<E> + Clone + 'static>(&self) -> EventsOf<T, E> {
        let mut stream = self.events_where(|m| T::get(&m.event).is_some());
        stream.name = Some(T::NAME);
        EventsOf {
            stream,
            _kind: PhantomData,
        }
    }
}
