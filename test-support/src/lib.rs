//! Throwaway QEMU servers for live tests: each in its own temporary
//! directory, killed and cleaned up on drop. Without the binary a test is
//! skipped with a message, except under CI, where that is a failure.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A running server.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Its directory (removed on drop).
    pub dir: PathBuf,
    /// The path of its QMP socket (when it was given one).
    pub sock: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts `binary` with the arguments `args` makes from the socket path,
/// in a fresh directory, and waits for the socket when the arguments
/// name it. `None` (with a message) when the binary is not installed.
///
/// # Panics
/// Under CI when the binary is missing, and when the server cannot start.
pub fn start(binary: &str, args: impl FnOnce(&str) -> Vec<String>) -> Option<Server> {
    let bin = installed(binary)?;
    Some(start_with(&bin, &[], args))
}

/// Where `binary` is on the `PATH`; `None` (with a message) when it is
/// not installed, for a test that starts it itself to skip.
///
/// # Panics
/// Under CI when the binary is missing.
pub fn installed(binary: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(binary))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{binary} is not installed (CI must install it)"
        );
        eprintln!("{binary} is not installed: skipping");
    }
    found
}

/// A QEMU release the live tests run against: the installed 10.0.2
/// (bookworm-backports'), or Debian 12's 7.2 unpacked in the directory
/// `QEMU_7_2_DIR` names (`qemu-system-x86`, `qemu-system-common`,
/// `qemu-system-data` and `qemu-guest-agent`; `.ci/run` unpacks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qemu {
    /// 10.0.2, on the `PATH`.
    V10_0,
    /// 7.2, from `QEMU_7_2_DIR`.
    V7_2,
}

impl Qemu {
    /// `(major, minor)`.
    pub fn version(self) -> (i64, i64) {
        match self {
            Qemu::V10_0 => (10, 0),
            Qemu::V7_2 => (7, 2),
        }
    }

    /// The binary `name` of this release and the environment it runs
    /// with; `None` (with a message) when it is not there.
    ///
    /// # Panics
    /// Under CI when it is not there.
    pub fn binary(self, name: &str) -> Option<(PathBuf, Vec<(&'static str, String)>)> {
        match self {
            Qemu::V10_0 => installed(name).map(|b| (b, Vec::new())),
            Qemu::V7_2 => {
                let Some(dir) = std::env::var_os("QEMU_7_2_DIR").map(PathBuf::from) else {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "QEMU_7_2_DIR is not set (CI must unpack QEMU 7.2 and set it)"
                    );
                    eprintln!("QEMU_7_2_DIR is not set: skipping the QEMU 7.2 test");
                    return None;
                };
                let bin = ["usr/bin", "usr/sbin"]
                    .iter()
                    .map(|d| dir.join(d).join(name))
                    .find(|p| p.is_file());
                let Some(bin) = bin else {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "{name} is not in {} (CI must unpack QEMU 7.2's packages there)",
                        dir.display()
                    );
                    eprintln!("{name} 7.2 is not in {}: skipping", dir.display());
                    return None;
                };
                // TCG and the block drivers are modules in Debian's build.
                let modules = dir.join("usr/lib/x86_64-linux-gnu/qemu");
                Some((
                    bin,
                    vec![("QEMU_MODULE_DIR", modules.display().to_string())],
                ))
            }
        }
    }

    /// Its `qemu-system-x86_64` with the arguments `args` makes from the
    /// socket path (plus, for 7.2, where its firmware is: it looks beside
    /// itself, and the host's SeaBIOS and iPXE are needed for `-M pc`).
    pub fn system_with(self, args: impl FnOnce(&str) -> Vec<String>) -> Option<Server> {
        let (bin, env) = self.binary("qemu-system-x86_64")?;
        let firmware = match self {
            Qemu::V10_0 => Vec::new(),
            Qemu::V7_2 => {
                let dir = bin
                    .parent()
                    .and_then(|d| d.parent())
                    .map(|usr| usr.join("share/qemu"))
                    .unwrap_or_default();
                [
                    "-L",
                    &dir.display().to_string(),
                    "-L",
                    "/usr/share/seabios",
                    "-L",
                    "/usr/lib/ipxe/qemu",
                ]
                .into_iter()
                .map(String::from)
                .collect()
            }
        };
        Some(start_with(&bin, &env, move |sock| {
            let mut a = firmware;
            a.extend(args(sock));
            a
        }))
    }

    /// Its `qemu-system-x86_64` without a guest (`machine` as in
    /// [`system`]), with a QMP monitor on the socket.
    pub fn system(self, machine: &str) -> Option<Server> {
        self.system_with(|sock| system(machine, &format!("unix:{sock}")))
    }

    /// Its `qemu-storage-daemon`, with a QMP monitor on the socket.
    pub fn storage_daemon(self) -> Option<Server> {
        let (bin, env) = self.binary("qemu-storage-daemon")?;
        Some(start_with(&bin, &env, storage_daemon))
    }

    /// Its `qemu-ga`, run on the host with the socket as its channel.
    pub fn guest_agent(self) -> Option<Server> {
        let (bin, env) = self.binary("qemu-ga")?;
        Some(start_with(&bin, &env, guest_agent))
    }
}

/// Starts the binary at `bin` with `env` set and the arguments `args`
/// makes from the socket path, in a fresh directory, and waits for the
/// socket when the arguments name it.
///
/// # Panics
/// When the server cannot start.
pub fn start_with(
    bin: &std::path::Path,
    env: &[(&str, String)],
    args: impl FnOnce(&str) -> Vec<String>,
) -> Server {
    let binary = bin.display().to_string();
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "qmpkit-live-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sock = dir.join("qmp.sock");
    let args = args(sock.to_str().expect("a UTF-8 temporary path"));
    let has_socket = args
        .iter()
        .any(|a| a.contains(sock.to_str().unwrap_or_default()));
    let child = Command::new(bin)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let server = Server { child, dir, sock };
    let deadline = Instant::now() + Duration::from_secs(20);
    // The socket file appears when the server binds, a moment before it
    // listens: a client connecting in between is refused. Wait until it
    // listens (without connecting, which a server would see).
    while has_socket && !listening(&server.sock) {
        assert!(
            Instant::now() < deadline,
            "{binary} did not listen on its socket"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    server
}

/// Whether a Unix socket is bound at `path` and listening, from
/// /proc/net/unix (a listening socket has the accept-connections flag,
/// 0x10000).
fn listening(path: &std::path::Path) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/unix") else {
        // No procfs: the socket file is the best sign there is.
        return path.exists();
    };
    let Some(path) = path.to_str() else {
        return path.exists();
    };
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() >= 8
            && fields[7] == path
            && u32::from_str_radix(fields[3], 16).is_ok_and(|flags| flags & 0x10000 != 0)
    })
}

/// qemu-storage-daemon with a QMP monitor on the socket.
pub fn storage_daemon(sock: &str) -> Vec<String> {
    vec![
        "--chardev".into(),
        format!("socket,path={sock},server=on,wait=off,id=qmp"),
        "--monitor".into(),
        "chardev=qmp".into(),
    ]
}

/// qemu-ga on the host, listening on the socket (its state files in the
/// server's directory).
pub fn guest_agent(sock: &str) -> Vec<String> {
    ["-m", "unix-listen", "-p", sock, "-t", "."]
        .into_iter()
        .map(String::from)
        .collect()
}

/// qemu-system-x86_64 without a guest (`machine` is `none`, or `pc`,
/// which is started paused) with a QMP monitor on `qmp` (`unix:PATH` or
/// `tcp:HOST:PORT`).
pub fn system(machine: &str, qmp: &str) -> Vec<String> {
    let mut a: Vec<String> = [
        "-accel",
        "tcg",
        "-display",
        "none",
        "-nodefaults",
        "-M",
        machine,
    ]
    .into_iter()
    .map(String::from)
    .collect();
    if machine != "none" {
        a.push("-S".into());
    }
    a.push("-qmp".into());
    a.push(format!("{qmp},server=on,wait=off"));
    a
}

/// The reply line of `query-qmp-schema` from the QMP server at `sock`
/// (negotiated first), for tests and benchmarks of introspection.
///
/// # Panics
/// When the server cannot be talked to.
pub fn introspect(sock: &std::path::Path) -> String {
    use std::io::{BufRead, BufReader, Write};
    let stream = std::os::unix::net::UnixStream::connect(sock).expect("connect");
    let mut r = BufReader::new(stream.try_clone().expect("clone"));
    let mut w = stream;
    let mut line = String::new();
    r.read_line(&mut line).expect("greeting");
    for req in [
        r#"{"execute":"qmp_capabilities"}"#,
        r#"{"execute":"query-qmp-schema"}"#,
    ] {
        writeln!(w, "{req}").expect("write");
        line.clear();
        r.read_line(&mut line).expect("reply");
    }
    line
}
