//! Probing what a running server has (`Client::schema`, `ServerSchema`)
//! against real servers: qemu-system-x86_64 10.0.2 and 7.2 (`-M none`
//! and `-M pc -S`), qemu-storage-daemon, qemu-ga. Each test starts its
//! own; without the binaries they skip, except under CI.

use qmp_client::{Client, Config, Error, Finding, GuestAgent, JsonKind};
use qmp_types::{cmd, qga};
use std::time::Duration;
use test_support::Server;

fn system(machine: &str) -> Option<Server> {
    test_support::start("qemu-system-x86_64", |sock| {
        test_support::system(machine, &format!("unix:{sock}"))
    })
}

/// A command with a capability `dirty-limit` (added to
/// `MigrationCapability` in 8.1).
fn dirty_limit() -> cmd::MigrateSetCapabilities {
    cmd::MigrateSetCapabilities::new(vec![qmp_types::MigrationCapabilityStatus::new(
        qmp_types::MigrationCapability::DirtyLimit,
        true,
    )])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qemu_10_0_has_what_10_0_added() {
    for machine in ["none", "pc"] {
        let Some(s) = system(machine) else { return };
        let client = Client::connect_unix(&s.sock).await.expect("connect");
        let schema = client.schema().await.expect("query-qmp-schema");
        // Fetched once: the same index again.
        let again = client.schema().await.expect("cached");
        assert!(std::sync::Arc::ptr_eq(&schema, &again));
        assert!(
            schema.entities().len() > 1000,
            "{}",
            schema.entities().len()
        );
        assert!(schema.supports::<cmd::BlockdevSetActive>(), "added in 10.0");
        assert!(schema.supports::<cmd::QueryStatus>());
        assert!(schema.has_event("JOB_STATUS_CHANGE"));
        assert!(!schema.has_command("no-such-command"));
        // A member of a reply, added in 8.0.
        let acpi = schema.returns("query-machines", "acpi").expect("acpi");
        assert_eq!(acpi.ty.json_kind(), JsonKind::Boolean);
        // Arguments through a union's branches, an alternate, an array.
        let driver = schema.argument("blockdev-add", "driver").expect("driver");
        assert!(driver.accepts("qcow2") && !driver.accepts("no-such-driver"));
        let filename = schema
            .argument("blockdev-add", "file.filename")
            .expect("file.filename, through BlockdevRef's object branch");
        assert_eq!(filename.ty.json_kind(), JsonKind::String);
        let cap = schema
            .argument("migrate-set-capabilities", "capabilities.capability")
            .expect("an array element's member");
        assert!(cap.accepts("dirty-limit"), "added in 8.1");
        // A deprecated member.
        let top = schema.argument("block-commit", "top").expect("top");
        assert!(top.deprecated() && top.optional());
        assert!(schema.check(&dirty_limit()).is_empty());
        let mut commit = cmd::BlockCommit::new("drive0");
        // Setting the deprecated member is the point.
        #[allow(deprecated)]
        {
            commit.top = Some("/tmp/top.qcow2".into());
        }
        assert_eq!(
            schema.check(&commit),
            [Finding::Deprecated { path: "top".into() }]
        );
        // A member no QEMU has.
        let status = cmd::QueryStatus;
        assert!(schema.check(&status).is_empty());
        let mut nodes = cmd::QueryNamedBlockNodes::default();
        nodes
            .unknown_members
            .insert("x-nothing".into(), true.into());
        assert_eq!(
            schema.check(&nodes),
            [Finding::UnknownMember {
                path: "x-nothing".into()
            }]
        );
        // What a list of known names lacks: everything else the server
        // has (with the registry feature, the bindings' own tables).
        let unknown = schema.unknown_to(["query-status"]);
        assert!(unknown.contains(&"STOP") && !unknown.contains(&"query-status"));
        // What the server has that the bindings (10.2.2) lack, by
        // structure: chardev's 'reconnect', which 10.1 removed.
        let lacking = schema.unknown_to_bindings();
        assert!(
            lacking
                .iter()
                .any(|l| l == "command chardev-add arguments.backend[type=socket].data.reconnect"),
            "{lacking:#?}"
        );
        assert!(lacking.len() < 50, "{lacking:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qemu_7_2_lacks_what_came_later_and_the_check_says_so_before_sending() {
    let Some(s) = test_support::Qemu::V7_2.system("none") else {
        return;
    };
    let config = Config {
        check_arguments: true,
        ..Config::default()
    };
    let client = Client::connect_unix_with(&s.sock, config)
        .await
        .expect("connect");
    let schema = client.schema().await.expect("query-qmp-schema");
    assert!(!schema.supports::<cmd::BlockdevSetActive>(), "10.0's");
    // 9.1 removed migrate's 'blk': the bindings lack it.
    let lacking = schema.unknown_to_bindings();
    assert!(
        lacking.iter().any(|l| l == "command migrate arguments.blk"),
        "{lacking:#?}"
    );
    assert!(
        qmp_client::ServerSchema::bindings()
            .not_in(qmp_client::ServerSchema::bindings())
            .is_empty()
    );
    assert!(schema.returns("query-machines", "acpi").is_none(), "8.0's");
    let cap = schema
        .argument("migrate-set-capabilities", "capabilities.capability")
        .expect("the member is there");
    assert!(!cap.accepts("dirty-limit") && cap.accepts("xbzrle"));
    assert_eq!(
        schema.check(&dirty_limit()),
        [Finding::UnknownValue {
            path: "capabilities[0].capability".into(),
            value: "dirty-limit".into()
        }]
    );
    // With check_arguments, the client refuses before sending, naming
    // the command, what is missing and the server.
    match client.execute(&dirty_limit()).await {
        Err(e @ Error::Unsupported { .. }) => {
            let text = e.to_string();
            assert!(
                text.starts_with("migrate-set-capabilities: QEMU 7.2."),
                "{text}"
            );
            assert!(text.contains("no value 'dirty-limit'"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    match client.execute(&cmd::BlockdevSetActive::new(true)).await {
        Err(Error::Unsupported { findings, .. }) => assert_eq!(
            findings,
            [Finding::UnknownCommand {
                command: "blockdev-set-active".into()
            }]
        ),
        other => panic!("{other:?}"),
    }
    // What the server takes still goes through.
    client
        .execute(&cmd::QueryStatus)
        .await
        .expect("query-status");
    // The blocking client probes the same way.
    drop(client);
    let mut blocking =
        qmp_client::blocking::Client::connect_unix(&s.sock).expect("blocking connect");
    let schema = blocking.schema().expect("query-qmp-schema");
    assert!(!schema.supports::<cmd::BlockdevSetActive>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storage_daemon_lacks_the_run_state_commands() {
    let Some(s) = test_support::start("qemu-storage-daemon", test_support::storage_daemon) else {
        return;
    };
    let client = Client::connect_unix(&s.sock).await.expect("connect");
    let schema = client.schema().await.expect("query-qmp-schema");
    assert!(schema.supports::<cmd::BlockdevAdd>());
    assert!(!schema.supports::<cmd::Cont>() && !schema.supports::<cmd::QueryStatus>());
    assert!(!schema.has_event("STOP"));
    assert_eq!(
        schema.commands().count(),
        client
            .execute(&cmd::QueryCommands)
            .await
            .expect("query-commands")
            .len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_agent_answers_from_guest_info() {
    let Some(s) = test_support::start("qemu-ga", |sock| {
        vec!["-m".into(), "unix-listen".into(), "-p".into(), sock.into()]
    }) else {
        return;
    };
    let config = Config {
        connect_retry: true,
        connect_timeout: Duration::from_secs(20),
        ..Config::default()
    };
    let mut agent = GuestAgent::connect_unix_with(&s.sock, config)
        .await
        .expect("connect");
    assert!(
        agent
            .supports::<qga::cmd::GuestPing>()
            .await
            .expect("guest-info")
    );
    assert!(agent.has_command("guest-get-osinfo").await.expect("cached"));
    assert!(!agent.has_command("no-such-command").await.expect("cached"));
}
