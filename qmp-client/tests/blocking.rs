//! The blocking client against real QEMU 10.0.2 (each test starts its
//! own server; without the binaries the tests skip, except under CI).

use qmp_client::Error;
use qmp_client::blocking::Client;
use qmp_types::{Events, cmd};
use std::time::Duration;

use test_support::Server;

fn system() -> Option<Server> {
    test_support::start("qemu-system-x86_64", |sock| {
        test_support::system("none", &format!("unix:{sock}"))
    })
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
