//! Timeouts by kind of command: the classes production managers give
//! their own limits (a hot-plug waits on the guest, a migration or a
//! guest agent's `fsfreeze` can take minutes, a query should not), and
//! the lookup every client makes for each call.

use crate::Config;
use std::time::Duration;

/// A kind of command with its own timeout (see
/// [`Config::with_class_timeout`]). Which commands are in which class is
/// [`CommandClass::of`], in one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandClass {
    /// Adding and removing devices and backends: `device_add`,
    /// `device_del`, `blockdev-add`, `blockdev-del`, `blockdev-reopen`,
    /// `netdev_add`, `netdev_del`, `object-add`, `object-del`,
    /// `chardev-add`, `chardev-change`, `chardev-remove`.
    HotPlug,
    /// Starting and steering block jobs: `blockdev-create`,
    /// `blockdev-mirror`, `drive-mirror`, `blockdev-backup`,
    /// `drive-backup`, `block-stream`, `block-commit`,
    /// `x-blockdev-amend`, `snapshot-save`, `snapshot-load`,
    /// `snapshot-delete`, and every `job-*` and `block-job-*` command.
    BlockJob,
    /// Migration: every `migrate*` command (`migrate`,
    /// `migrate-incoming`, `migrate_cancel`, `migrate-set-parameters`...).
    Migration,
    /// The guest agent's filesystem freeze and thaw
    /// (`guest-fsfreeze-*`), which wait on every filesystem of the guest.
    GuestFsFreeze,
}

impl CommandClass {
    /// The class of the command `name`, if it has one.
    ///
    /// ```
    /// use qmp_client::CommandClass;
    /// assert_eq!(CommandClass::of("device_del"), Some(CommandClass::HotPlug));
    /// assert_eq!(CommandClass::of("block-job-complete"), Some(CommandClass::BlockJob));
    /// assert_eq!(CommandClass::of("migrate-incoming"), Some(CommandClass::Migration));
    /// assert_eq!(CommandClass::of("guest-fsfreeze-freeze"), Some(CommandClass::GuestFsFreeze));
    /// assert_eq!(CommandClass::of("query-status"), None);
    /// ```
    pub fn of(name: &str) -> Option<CommandClass> {
        const HOT_PLUG: &[&str] = &[
            "device_add",
            "device_del",
            "blockdev-add",
            "blockdev-del",
            "blockdev-reopen",
            "netdev_add",
            "netdev_del",
            "object-add",
            "object-del",
            "chardev-add",
            "chardev-change",
            "chardev-remove",
        ];
        const BLOCK_JOB: &[&str] = &[
            "blockdev-create",
            "blockdev-mirror",
            "drive-mirror",
            "blockdev-backup",
            "drive-backup",
            "block-stream",
            "block-commit",
            "x-blockdev-amend",
            "snapshot-save",
            "snapshot-load",
            "snapshot-delete",
        ];
        if HOT_PLUG.contains(&name) {
            Some(CommandClass::HotPlug)
        } else if BLOCK_JOB.contains(&name)
            || name.starts_with("job-")
            || name.starts_with("block-job-")
        {
            Some(CommandClass::BlockJob)
        } else if name.starts_with("migrate") {
            Some(CommandClass::Migration)
        } else if name.starts_with("guest-fsfreeze-") {
            Some(CommandClass::GuestFsFreeze)
        } else {
            None
        }
    }
}

impl Config {
    /// The timeout of the command `name` when its call gives none: the
    /// command's own ([`Config::with_command_timeout`]), else its class's
    /// ([`Config::with_class_timeout`]), else
    /// [`Config::call_timeout`].
    ///
    /// ```
    /// use qmp_client::{CommandClass, Config};
    /// use std::time::Duration;
    /// let config = Config {
    ///     call_timeout: Some(Duration::from_secs(5)),
    ///     ..Config::default()
    /// }
    /// .with_class_timeout(CommandClass::HotPlug, Duration::from_secs(60))
    /// .with_command_timeout("device_del", Duration::from_secs(120));
    /// assert_eq!(config.timeout_for("query-status"), Some(Duration::from_secs(5)));
    /// assert_eq!(config.timeout_for("device_add"), Some(Duration::from_secs(60)));
    /// assert_eq!(config.timeout_for("device_del"), Some(Duration::from_secs(120)));
    /// ```
    pub fn timeout_for(&self, name: &str) -> Option<Duration> {
        self.override_for(name).or(self.call_timeout)
    }

    /// The timeout the command `name` has of its own or of its class.
    pub(crate) fn override_for(&self, name: &str) -> Option<Duration> {
        // Every call asks: without overrides (the default), nothing is
        // looked up.
        if self.command_timeouts.is_empty() && self.class_timeouts.is_empty() {
            return None;
        }
        self.command_timeouts
            .get(name)
            .or_else(|| CommandClass::of(name).and_then(|c| self.class_timeouts.get(&c)))
            .copied()
    }

    /// Gives the commands of `class` their own timeout.
    pub fn with_class_timeout(mut self, class: CommandClass, timeout: Duration) -> Self {
        self.class_timeouts.insert(class, timeout);
        self
    }

    /// Gives the command `name` its own timeout (before its class's).
    pub fn with_command_timeout(mut self, name: impl Into<String>, timeout: Duration) -> Self {
        self.command_timeouts.insert(name.into(), timeout);
        self
    }

    /// Logs a `tracing` warning when the call of `name` took `took`, at
    /// least [`Config::slow_command`] (whether it ended in a reply, an
    /// error or a timeout).
    pub(crate) fn note_duration(&self, name: &str, took: Duration) {
        if self.slow_command.is_some_and(|slow| took >= slow) {
            tracing::warn!(
                command = name,
                took_ms = took.as_millis() as u64,
                "a slow command"
            );
        }
    }
}
