//! The blocking client against real QEMU 10.0.2 (each test starts its
//! own server; without the binaries the tests skip, except under CI).

use qmp_client::Error;
use qmp_client::blocking::Client;
use qmp_types::{Events, cmd};
use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    dir: PathBuf,
    sock: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn system() -> Option<Server> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("qemu-system-x86_64"))
            .find(|p| p.is_file())
    });
    let Some(bin) = found else {
        assert!(
            std::env::var_os("CI").is_none(),
            "qemu-system-x86_64 is not installed (CI must install it)"
        );
        eprintln!("qemu-system-x86_64 is not installed: skipping");
        return None;
    };
    let dir = std::env::temp_dir().join(format!("qmp-client-blocking-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sock = dir.join("qmp.sock");
    let child = Process::new(bin)
        .args([
            "-M",
            "none",
            "-accel",
            "tcg",
            "-display",
            "none",
            "-nodefaults",
            "-qmp",
        ])
        .arg(format!("unix:{},server=on,wait=off", sock.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    while !sock.exists() {
        std::thread::sleep(Duration::from_millis(10));
    }
    Some(Server { child, dir, sock })
}

#[test]
fn blocking_client_commands_events_fds_and_disconnect() {
    use std::os::fd::AsFd;
    let Some(mut s) = system() else { return };
    let mut client = Client::connect_unix(&s.sock).expect("connect");
    assert_eq!(client.greeting().version.qemu.major, 10);
    assert!(client.oob_enabled());
    let status = client.execute(&cmd::QueryStatus).expect("query-status");
    assert!(status.running);
    client.execute(&cmd::Stop).expect("stop");
    let stop = client
        .wait_for_event(Duration::from_secs(5), |m| {
            matches!(m.event, Events::Stop(_))
        })
        .expect("STOP");
    assert!(stop.timestamp.seconds > 0);
    client
        .execute_oob(&cmd::QueryYank)
        .expect("query-yank out-of-band");
    // A descriptor travels with getfd.
    let file = std::fs::File::create(s.dir.join("f")).expect("file");
    client
        .execute_with_fds(&cmd::Getfd::new("fd0".into()), &[file.as_fd()])
        .expect("getfd");
    client
        .execute(&cmd::Closefd::new("fd0".into()))
        .expect("closefd");
    match client.execute(&cmd::Closefd::new("fd0".into())) {
        Err(Error::Qmp { .. }) => {}
        other => panic!("{other:?}"),
    }
    // No event within the timeout.
    assert!(matches!(
        client.next_event(Some(Duration::from_millis(50))),
        Err(Error::Timeout)
    ));
    s.child.kill().expect("kill");
    s.child.wait().expect("wait");
    assert!(matches!(
        client.execute(&cmd::QueryStatus),
        Err(Error::Disconnected | Error::Io(_))
    ));
}
