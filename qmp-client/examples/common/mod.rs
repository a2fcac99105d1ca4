//! What every example needs and none is about: a throwaway QEMU in a
//! temporary directory, killed and cleaned up when dropped, and the
//! client connected to it.

// Each example uses part of this.
#![allow(dead_code)]

use qmp_client::{Client, Config, GuestAgent};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The result of an example.
pub(crate) type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A QEMU process of the example's own.
pub(crate) struct Qemu {
    child: Child,
    /// Its temporary directory: its socket, and the images the example
    /// makes.
    pub(crate) dir: PathBuf,
    /// Its socket.
    pub(crate) socket: PathBuf,
}

impl Qemu {
    /// `qemu-storage-daemon` with a QMP monitor.
    pub(crate) fn storage_daemon() -> Result<Qemu> {
        Qemu::start("qemu-storage-daemon", |sock| {
            vec![
                "--chardev".into(),
                format!("socket,path={sock},server=on,wait=off,id=qmp"),
                "--monitor".into(),
                "chardev=qmp".into(),
            ]
        })
    }

    /// `qemu-system-x86_64` without a guest (TCG, no display, no default
    /// devices), with a QMP monitor and `args` (`-M pc -S`, devices...).
    pub(crate) fn system(args: &[&str]) -> Result<Qemu> {
        Qemu::start("qemu-system-x86_64", |sock| {
            let mut a: Vec<String> = ["-accel", "tcg", "-display", "none", "-nodefaults"]
                .iter()
                .chain(args)
                .map(|s| s.to_string())
                .collect();
            a.push("-qmp".into());
            a.push(format!("unix:{sock},server=on,wait=off"));
            a
        })
    }

    /// `qemu-ga`, on the host, listening on a Unix socket.
    pub(crate) fn guest_agent() -> Result<Qemu> {
        Qemu::start("qemu-ga", |sock| {
            vec!["-m".into(), "unix-listen".into(), "-p".into(), sock.into()]
        })
    }

    fn start(program: &str, args: impl FnOnce(&str) -> Vec<String>) -> Result<Qemu> {
        // A directory of its own: creating it fails when it exists.
        let mut n = 0;
        let dir = loop {
            let dir =
                std::env::temp_dir().join(format!("qmpkit-example-{}-{n}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
                Err(e) => return Err(e.into()),
            }
        };
        let socket = dir.join("qmp.sock");
        let child = Command::new(program)
            .args(args(
                socket
                    .to_str()
                    .ok_or("a temporary path that is not UTF-8")?,
            ))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {program} (is it installed?): {e}"))?;
        println!("started {program} (pid {})", child.id());
        Ok(Qemu { child, dir, socket })
    }

    /// Connection settings for a server that has just started: its
    /// socket appears a moment later.
    fn config() -> Config {
        Config {
            connect_retry: true,
            connect_timeout: Duration::from_secs(20),
            ..Config::default()
        }
    }

    /// The QMP client, connected.
    pub(crate) async fn client(&self) -> Result<Client> {
        let client = Client::connect_unix_with(&self.socket, Self::config()).await?;
        let v = &client.greeting().version.qemu;
        println!("connected to QEMU {v}");
        Ok(client)
    }

    /// The guest agent client, connected and in step.
    pub(crate) async fn agent(&self) -> Result<GuestAgent> {
        Ok(GuestAgent::connect_unix_with(&self.socket, Self::config()).await?)
    }

    /// A path in the temporary directory, as QMP takes it.
    pub(crate) fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
