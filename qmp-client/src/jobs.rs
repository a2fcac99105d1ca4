//! Commands that finish later: [`Client::execute_until`] (a command and
//! the event that says it is done) and [`Job`] (a background job, from
//! its start to its dismissal).

use crate::events::{EventStream, EventsOf};
use crate::{Client, Error};
use qmp_types::{Command, EventIn, EventMessage, EventSet, Events, JobInfo, JobStatus, cmd};
use std::time::Duration;
use tokio::time::Instant;

impl<E: EventSet + Send + Sync + 'static> Client<E> {
    /// Runs `command` and waits for the first event `T` for which
    /// `matches` holds: for commands that complete only when an event
    /// says so (`device_del` and `DEVICE_DELETED`, `block-job-complete`
    /// and `BLOCK_JOB_COMPLETED`, `migrate` and `MIGRATION`). The
    /// subscription is made before the command is sent, so the event
    /// cannot be missed; `timeout` covers the command and the wait. When
    /// the command fails, that is the error and nothing is awaited; when
    /// the event does not come in time, [`Error::NoEvent`].
    ///
    /// ```no_run
    /// # async fn demo(client: qmp_client::Client) -> Result<(), qmp_client::Error> {
    /// use qmp_types::{cmd, event};
    /// use std::time::Duration;
    /// client
    ///     .execute_until(
    ///         &cmd::DeviceDel::new("disk1"),
    ///         |e: &event::DeviceDeleted| e.device.as_deref() == Some("disk1"),
    ///         Duration::from_secs(10),
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn execute_until<C: Command, T: EventIn<E> + Clone + 'static>(
        &self,
        command: &C,
        matches: impl Fn(&T) -> bool,
        timeout: Duration,
    ) -> Result<(C::Returns, EventMessage<T>), Error> {
        let mut events: EventsOf<T, E> = self.events_of::<T>();
        let deadline = Instant::now() + timeout;
        let returned = tokio::time::timeout_at(deadline, self.execute(command))
            .await
            .map_err(|_| Error::Timeout)??;
        let left = deadline.saturating_duration_since(Instant::now());
        let event = events.wait_for(left, matches).await.map_err(|e| match e {
            Error::Timeout => Error::NoEvent {
                command: C::NAME.to_string(),
                event: T::NAME,
                waited: timeout,
            },
            other => other,
        })?;
        Ok((returned, event))
    }
}

/// A background job (`blockdev-create`, `blockdev-mirror`,
/// `blockdev-backup`, `block-stream`, `block-commit`, `snapshot-save`
/// ...), followed through its `JOB_STATUS_CHANGE` events from the moment
/// before its command was sent: started by [`Client::start_job`] (or run
/// to its end by [`Client::run_job`]).
///
/// [`Job::finish`] waits for the job to conclude, finalizes it when it
/// waits for that (`auto-finalize: false`), reads its error, dismisses it
/// when it is not dismissed automatically, and returns the job's error
/// as [`Error::Job`]. A mirror is completed by [`Job::complete`] once
/// [`Job::wait_status`] has seen it `ready`.
///
/// ```no_run
/// # async fn demo(client: qmp_client::Client) -> Result<(), qmp_client::Error> {
/// use qmp_types::{cmd, BlockdevCreateOptions, BlockdevCreateOptionsFile, JobStatus};
/// use std::time::Duration;
/// let create = cmd::BlockdevCreate::new(
///     "create0",
///     BlockdevCreateOptions::from(BlockdevCreateOptionsFile::new("/tmp/disk.img", 1 << 20)),
/// );
/// client.run_job(&create, "create0", Duration::from_secs(30)).await?;
///
/// let mirror = cmd::BlockdevMirror {
///     job_id: Some("m0".into()),
///     ..cmd::BlockdevMirror::new("disk0", "target0", qmp_types::MirrorSyncMode::Full)
/// };
/// let mut mirror = client.start_job(&mirror, "m0").await?;
/// mirror.wait_status(JobStatus::Ready, Duration::from_secs(60)).await?;
/// mirror.complete().await?;
/// mirror.finish(Duration::from_secs(60)).await?;
/// # Ok(()) }
/// ```
pub struct Job {
    client: Client<Events>,
    id: String,
    /// This job's status changes, and the block job events of the same
    /// id (whose `error` is all that is left of an automatically
    /// dismissed job).
    events: EventStream<Events>,
    status: Option<JobStatus>,
    /// What `BLOCK_JOB_COMPLETED` (or `BLOCK_JOB_CANCELLED`) said.
    block_error: Option<String>,
}

impl Client<Events> {
    /// Sends `command`, which starts the job `id` (the command's
    /// `job-id`; for block jobs without one, the device's name), and
    /// returns the job, followed from before the command was sent.
    pub async fn start_job<C: Command>(
        &self,
        command: &C,
        id: impl Into<String>,
    ) -> Result<Job, Error> {
        let id = id.into();
        let wanted = id.clone();
        let events = self.events_where(move |m| match &m.event {
            Events::JobStatusChange(e) => e.id == wanted,
            Events::BlockJobCompleted(e) => e.device == wanted,
            Events::BlockJobCancelled(e) => e.device == wanted,
            _ => false,
        });
        self.execute(command).await?;
        Ok(Job {
            client: self.clone(),
            id,
            events,
            status: None,
            block_error: None,
        })
    }

    /// Runs the job `command` starts (named `id`) to its end, as
    /// [`Client::start_job`] and [`Job::finish`]: `Ok` when it succeeded,
    /// [`Error::Job`] with the job's error otherwise.
    pub async fn run_job<C: Command>(
        &self,
        command: &C,
        id: impl Into<String>,
        timeout: Duration,
    ) -> Result<(), Error> {
        self.start_job(command, id).await?.finish(timeout).await
    }
}

impl Job {
    /// The job's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The last status its events reported (`None` before the first).
    pub fn status(&self) -> Option<JobStatus> {
        self.status.clone()
    }

    /// The job as `query-jobs` reports it now (progress, status, error),
    /// or `None` when it is gone.
    pub async fn progress(&self) -> Result<Option<JobInfo>, Error> {
        let jobs = self.client.execute(&cmd::QueryJobs).await?;
        Ok(jobs.into_iter().find(|j| j.id == self.id))
    }

    /// Asks the job to complete (`job-complete`: a mirror that is
    /// `ready` switches to its target).
    pub async fn complete(&self) -> Result<(), Error> {
        self.client
            .execute(&cmd::JobComplete::new(self.id.as_str()))
            .await
            .map(drop)
    }

    /// Asks the job to stop (`job-cancel`); [`Job::finish`] then returns
    /// its outcome.
    pub async fn cancel(&self) -> Result<(), Error> {
        self.client
            .execute(&cmd::JobCancel::new(self.id.as_str()))
            .await
            .map(drop)
    }

    /// Waits up to `timeout` until the job reaches `status` (a mirror
    /// `ready`, say). A job that ends first is finished as by
    /// [`Job::finish`], and the wait fails with its error (or, when it
    /// succeeded, with [`Error::Job`] saying it ended before).
    pub async fn wait_status(&mut self, status: JobStatus, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        if self.status.as_ref() == Some(&status) {
            return Ok(());
        }
        loop {
            let now = self.next_status(deadline, timeout).await?;
            if now == status {
                return Ok(());
            }
            if matches!(now, JobStatus::Concluded | JobStatus::Null) {
                self.conclude(now).await?;
                return Err(Error::Job {
                    id: self.id.clone(),
                    desc: format!("the job ended before it was {status}"),
                });
            }
            self.step(&now).await?;
        }
    }

    /// Waits up to `timeout` for the job to end, finalizing it if it
    /// waits for that, then dismisses it if it is not dismissed
    /// automatically. `Ok` when it succeeded; [`Error::Job`] with its
    /// error when it failed or was cancelled.
    pub async fn finish(mut self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        if let Some(now) = self.status.clone()
            && matches!(now, JobStatus::Concluded | JobStatus::Null)
        {
            return self.conclude(now).await;
        }
        loop {
            let now = self.next_status(deadline, timeout).await?;
            if matches!(now, JobStatus::Concluded | JobStatus::Null) {
                return self.conclude(now).await;
            }
            self.step(&now).await?;
        }
    }

    /// What a status asks of the client: a job `pending` that does not
    /// finalize itself is finalized.
    async fn step(&self, now: &JobStatus) -> Result<(), Error> {
        if *now != JobStatus::Pending {
            return Ok(());
        }
        // Only block jobs can be told not to finalize themselves, and only
        // `query-block-jobs` says so.
        let manual = self
            .client
            .execute(&cmd::QueryBlockJobs)
            .await?
            .iter()
            .any(|j| j.device == self.id && !j.auto_finalize);
        if manual {
            self.client
                .execute(&cmd::JobFinalize::new(self.id.as_str()))
                .await?;
        }
        Ok(())
    }

    /// The job has ended (`now` is `concluded` or `null`): its error, and
    /// its dismissal when it waits for one. An automatically dismissed
    /// job is gone by the time it is asked about (QEMU dismisses it as it
    /// concludes): its block job event is all there is.
    async fn conclude(&mut self, now: JobStatus) -> Result<(), Error> {
        let info = match now {
            JobStatus::Concluded => self.progress().await?,
            _ => None,
        };
        let error = match &info {
            Some(info) => info.error.clone(),
            None => self.block_error.take(),
        };
        if info.is_some() {
            self.client
                .execute(&cmd::JobDismiss::new(self.id.as_str()))
                .await?;
        }
        self.status = Some(JobStatus::Null);
        match error {
            None => Ok(()),
            Some(desc) => Err(Error::Job {
                id: self.id.clone(),
                desc,
            }),
        }
    }

    /// The next status the job's events report, waiting until
    /// `deadline`. Events lost to lag are made up for by asking the
    /// server where the job is.
    async fn next_status(
        &mut self,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<JobStatus, Error> {
        loop {
            let next = tokio::time::timeout_at(deadline, self.events.next())
                .await
                .map_err(|_| Error::JobTimeout {
                    id: self.id.clone(),
                    status: self.status.clone(),
                    waited: timeout,
                })?;
            match next {
                Ok(msg) => match &msg.event {
                    Events::JobStatusChange(e) => {
                        self.status = Some(e.status.clone());
                        return Ok(e.status.clone());
                    }
                    Events::BlockJobCompleted(e) => self.block_error = e.error.clone(),
                    Events::BlockJobCancelled(_) => {
                        self.block_error = Some("the job was cancelled".into());
                    }
                    _ => {}
                },
                Err(Error::Lagged(_)) => {
                    let now = match self.progress().await? {
                        Some(info) => info.status,
                        // Gone: it ended while its events were lost.
                        None => JobStatus::Null,
                    };
                    self.status = Some(now.clone());
                    return Ok(now);
                }
                // An event of another kind that does not decode: not ours
                // to report here (the reader task logged it).
                Err(Error::BadEvent { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
}
