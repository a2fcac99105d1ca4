//! Live: real QEMU 10.0.2 and 7.2 servers answer typed commands, and their replies
//! and events decode into the typed forms and encode back to equal JSON.
//!
//! Each test starts its own server in a temporary directory. Without the
//! binaries the tests say so and pass, except under CI, where they fail.

use qmp_types::{Command, EventMessage, Events, cmd};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// A server and a raw QMP conversation with it.
struct Server {
    process: test_support::Server,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    events: Vec<Value>,
}

/// Starts a server (see `test_support::start`) and negotiates.
fn start(name: &str, args: impl FnOnce(&str) -> Vec<String>) -> Option<Server> {
    Some(negotiate(test_support::start(name, args)?))
}

/// Connects to a started server and negotiates.
fn negotiate(process: test_support::Server) -> Server {
    let stream = UnixStream::connect(&process.sock).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut server = Server {
        reader: BufReader::new(stream.try_clone().expect("clone")),
        writer: stream,
        events: Vec::new(),
        process,
    };
    let greeting = server.read();
    assert!(greeting.get("QMP").is_some(), "not a greeting: {greeting}");
    server.send_raw(&json!({"execute": "qmp_capabilities"}));
    let reply = server.reply();
    assert_eq!(reply, json!({"return": {}}));
    server
}

impl Server {
    fn read(&mut self) -> Value {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("read a line");
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("bad JSON from the server ({e}): {line}"))
    }

    fn send_raw(&mut self, msg: &Value) {
        let mut text = msg.to_string();
        text.push('\n');
        self.writer.write_all(text.as_bytes()).expect("write");
    }

    /// The next reply; events that come first are kept.
    fn reply(&mut self) -> Value {
        loop {
            let v = self.read();
            if v.get("event").is_some() {
                self.events.push(v);
            } else {
                return v;
            }
        }
    }

    /// Sends a typed command and decodes its typed result.
    fn execute<C: Command>(&mut self, c: &C) -> Result<C::Returns, Value> {
        let mut msg = json!({"execute": C::NAME});
        if C::HAS_ARGUMENTS {
            msg["arguments"] = serde_json::to_value(c).expect("encode arguments");
        }
        self.send_raw(&msg);
        let reply = self.reply();
        match reply.get("return") {
            Some(r) => Ok(serde_json::from_value(r.clone())
                .unwrap_or_else(|e| panic!("{}: {e}\n{r}", C::NAME))),
            None => Err(reply),
        }
    }

    fn wait_event(&mut self, name: &str) -> Value {
        loop {
            if let Some(i) = self.events.iter().position(|e| e["event"] == name) {
                return self.events.remove(i);
            }
            let v = self.read();
            if v.get("event").is_some() {
                self.events.push(v);
            }
        }
    }
}

/// Sends every command that takes no required arguments and whose name
/// starts with `query-` (as the server lists them), and checks that each
/// answer decodes and encodes back equal. Returns how many were checked.
fn all_queries(s: &mut Server) -> usize {
    all_queries_but(s, &[])
}

/// [`all_queries`], with `known`: the commands whose replies are known
/// not to decode yet (each with why), which must still fail (an entry
/// that starts to pass fails the test, so the list stays true).
/// Replies whose union an older release sent without its tag, which the
/// bindings read as a default branch and write back with it: the command
/// and the tag (see `DEFAULT_BRANCHES` in xtask).
const IMPLIED_TAGS: &[(&str, &str)] = &[("query-sev", "sev-type")];

fn all_queries_but(s: &mut Server, known: &[(&str, &str)]) -> usize {
    let mut still_failing = Vec::new();
    let listed = s.execute(&cmd::QueryCommands).expect("query-commands");
    let mut checked = 0;
    let mut failures = Vec::new();
    for c in listed {
        let Some(info) = qmp_types::command_by_name(&c.name) else {
            continue;
        };
        if !c.name.starts_with("query-") && !c.name.starts_with("x-query-") {
            continue;
        }
        // Only commands without required arguments.
        if (info.arguments)(&json!({})).is_err() {
            continue;
        }
        s.send_raw(&json!({"execute": c.name}));
        let reply = s.reply();
        let Some(ret) = reply.get("return") else {
            continue;
        }; // not available in this configuration
        // A reply read with an implied tag (a union's default branch, for
        // releases before it had one) is written back with the tag.
        let implied = |back: &Value| {
            let mut back = back.clone();
            let removed = IMPLIED_TAGS
                .iter()
                .filter(|(cmd, _)| *cmd == c.name)
                .any(|(_, key)| {
                    ret.get(*key).is_none()
                        && back.as_object_mut().and_then(|o| o.remove(*key)).is_some()
                });
            removed && &back == ret
        };
        match (info.returns)(ret) {
            Ok(back) if &back == ret || implied(&back) => checked += 1,
            Ok(back) => failures.push(format!(
                "{}: re-encoded differently\n  {ret}\n  {back}",
                c.name
            )),
            Err(_) if known.iter().any(|(k, _)| *k == c.name) => still_failing.push(c.name),
            Err(e) => failures.push(format!("{}: {e}\n  {ret}", c.name)),
        }
    }
    for (k, why) in known {
        if !still_failing.iter().any(|c| c == k) {
            failures.push(format!(
                "{k}: listed as not decoding ({why}), but it does (or was not answered)"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}

fn round_trip_event(e: &Value) -> EventMessage<Events> {
    let m: EventMessage<Events> =
        serde_json::from_value(e.clone()).unwrap_or_else(|err| panic!("{err}: {e}"));
    assert!(
        !matches!(m.event, Events::Unknown { .. }),
        "unknown event {e}"
    );
    assert_eq!(&serde_json::to_value(&m).expect("encode"), e);
    m
}

#[test]
fn storage_daemon_queries_and_job_events() {
    let Some(mut s) = start("qemu-storage-daemon", test_support::storage_daemon) else {
        return;
    };
    let v = s.execute(&cmd::QueryVersion).expect("query-version");
    assert_eq!((v.qemu.major, v.qemu.minor, v.qemu.micro), (10, 0, 2));
    let checked = all_queries(&mut s);
    eprintln!("qemu-storage-daemon: {checked} query commands decoded");
    assert!(checked >= 10, "only {checked} queries answered");

    // A block job: create a file, then watch its job's events.
    let image = s.process.dir.join("disk.img");
    s.send_raw(&json!({"execute": "blockdev-create", "arguments": {
        "job-id": "create0",
        "options": {"driver": "file", "filename": image, "size": 1048576}
    }}));
    assert_eq!(s.reply(), json!({"return": {}}));
    let concluded = s.wait_event("JOB_STATUS_CHANGE");
    let m = round_trip_event(&concluded);
    let Events::JobStatusChange(e) = m.event else {
        panic!("not JOB_STATUS_CHANGE")
    };
    assert_eq!(e.id, "create0");
    loop {
        let ev = s.wait_event("JOB_STATUS_CHANGE");
        let m = round_trip_event(&ev);
        if let Events::JobStatusChange(e) = m.event {
            if e.status == qmp_types::JobStatus::Concluded {
                break;
            }
        }
    }
    let jobs = s.execute(&cmd::QueryJobs).expect("query-jobs");
    assert_eq!(jobs[0].id, "create0");
    s.execute(&cmd::JobDismiss::new("create0"))
        .expect("job-dismiss");
    let null = s.wait_event("JOB_STATUS_CHANGE");
    round_trip_event(&null);
}

#[test]
fn system_emulator_queries_and_run_state_events() {
    let Some(mut s) = start("qemu-system-x86_64", |sock| {
        test_support::system("none", &format!("unix:{sock}"))
    }) else {
        return;
    };
    let checked = all_queries(&mut s);
    eprintln!("qemu-system-x86_64 -M none: {checked} query commands decoded");
    assert!(checked >= 30, "only {checked} queries answered");

    s.execute(&cmd::Stop).expect("stop");
    let stop = s.wait_event("STOP");
    assert!(matches!(round_trip_event(&stop).event, Events::Stop(_)));
    s.execute(&cmd::Cont).expect("cont");
    let resume = s.wait_event("RESUME");
    assert!(matches!(round_trip_event(&resume).event, Events::Resume(_)));
    let status = s.execute(&cmd::QueryStatus).expect("query-status");
    assert_eq!(status.status, qmp_types::RunState::Running);
    // `deprecated-props` is required under `TARGET_S390X`: an x86 server
    // leaves it out, and the reply still decodes.
    let expand: cmd::QueryCpuModelExpansion =
        serde_json::from_value(json!({"type": "full", "model": {"name": "max"}}))
            .expect("arguments");
    let info = s.execute(&expand).expect("query-cpu-model-expansion");
    assert_eq!(info.model.name, "max");
    assert_eq!(info.deprecated_props, None);
}

#[test]
fn pc_machine_queries() {
    let Some(mut s) = start("qemu-system-x86_64", |sock| {
        [
            "-M", "pc", "-S", "-accel", "tcg", "-display", "none", "-qmp",
        ]
        .into_iter()
        .map(String::from)
        .chain([format!("unix:{sock},server=on,wait=off")])
        .collect()
    }) else {
        return;
    };
    let checked = all_queries(&mut s);
    eprintln!("qemu-system-x86_64 -M pc -S: {checked} query commands decoded");
    assert!(checked >= 40, "only {checked} queries answered");
    let status = s.execute(&cmd::QueryStatus).expect("query-status");
    assert_eq!(status.status, qmp_types::RunState::Prelaunch);
}

/// Block nodes, a disk on a SCSI controller and a mirror job waiting
/// at `ready`, so that `query-block`, `query-blockstats`,
/// `query-named-block-nodes` and `query-block-jobs` have content (a 7.2
/// mirror's entry lacks the `actively-synced` 8.2 added to its branch).
fn give_block_replies_content(s: &mut Server) {
    let steps = [
        json!({"execute": "blockdev-add", "arguments": {"driver": "null-co", "node-name": "src", "size": 1048576}}),
        json!({"execute": "blockdev-add", "arguments": {"driver": "null-co", "node-name": "dst", "size": 1048576}}),
        json!({"execute": "device_add", "arguments": {"driver": "virtio-scsi-pci", "id": "scsi0"}}),
        json!({"execute": "device_add", "arguments": {"driver": "scsi-hd", "id": "disk0", "drive": "src", "bus": "scsi0.0"}}),
        json!({"execute": "blockdev-mirror", "arguments": {"job-id": "m0", "device": "src", "target": "dst", "sync": "full"}}),
    ];
    for step in &steps {
        s.send_raw(step);
        let reply = s.reply();
        assert!(reply.get("return").is_some(), "{step}: {reply}");
    }
    // The mirror of a 1 MiB null node is ready at once; wait for it.
    // Its events decode, and encode back equal.
    loop {
        let e = s.wait_event("JOB_STATUS_CHANGE");
        round_trip_event(&e);
        if e["data"]["status"] == "ready" {
            break;
        }
    }
    for e in std::mem::take(&mut s.events) {
        round_trip_event(&e);
    }
    let jobs = s.execute(&cmd::QueryBlockJobs).expect("query-block-jobs");
    assert_eq!(jobs.len(), 1);
    let blocks = s.execute(&cmd::QueryBlock).expect("query-block");
    assert!(blocks.iter().any(|b| b.inserted.is_some()));
}

/// One binding set for every QEMU from 6.2 on: against QEMU 7.2
/// (Debian 12's), every argument-less query the server answers decodes
/// and encodes back equal, on `-M none` and `-M pc -S` with block nodes,
/// a disk and a mirror job (before the
/// release history, one reply in 28 failed: `query-machines` without
/// `acpi`, ...).
#[test]
fn qemu_7_2_queries_decode() {
    for machine in ["none", "pc"] {
        let Some(process) = test_support::Qemu::V7_2.system(machine) else {
            return;
        };
        let mut s = negotiate(process);
        let v = s.execute(&cmd::QueryVersion).expect("query-version");
        assert_eq!((v.qemu.major, v.qemu.minor), (7, 2));
        if machine == "pc" {
            give_block_replies_content(&mut s);
        }
        // Every reply decodes, query-sev too: SevInfo became a union on
        // 'sev-type' in 9.1, and a reply without the tag is read as 'sev'.
        let known = [];
        let checked = all_queries_but(&mut s, &known);
        eprintln!("qemu-system-x86_64 7.2 -M {machine}: {checked} query commands decoded");
        assert!(checked >= 30, "only {checked} queries answered");
        let machines = s
            .execute(&cmd::QueryMachines::default())
            .expect("query-machines");
        assert!(
            machines.iter().all(|m| m.acpi.is_none()),
            "7.2 has no 'acpi'"
        );
    }
}

/// A read error on a guest's disk: SeaBIOS reads the boot sector of a
/// virtio disk whose node (`blkdebug` under `raw`) fails every read, and
/// the device reports it (`rerror=report`) as `BLOCK_IO_ERROR`. Returns
/// the event, checked to decode and encode back equal.
fn io_error_event(s: &mut Server) -> qmp_types::event::BlockIoError {
    let steps = [
        json!({"execute": "blockdev-add", "arguments": {
            "driver": "raw", "node-name": "bad",
            "file": {"driver": "blkdebug",
                     "inject-error": [{"event": "read_aio", "errno": 5}],
                     "image": {"driver": "null-co", "size": 1048576}}}}),
        json!({"execute": "device_add", "arguments": {
            "driver": "virtio-blk-pci", "id": "disk0", "drive": "bad",
            "rerror": "report", "werror": "report"}}),
        json!({"execute": "cont"}),
    ];
    for step in &steps {
        s.send_raw(step);
        let reply = s.reply();
        assert!(reply.get("return").is_some(), "{step}: {reply}");
    }
    let e = s.wait_event("BLOCK_IO_ERROR");
    let Events::BlockIoError(error) = round_trip_event(&e).event else {
        panic!("not BLOCK_IO_ERROR: {e}")
    };
    assert_eq!(error.node_name.as_deref(), Some("bad"));
    assert_eq!(error.operation, qmp_types::IoOperationType::Read);
    assert_eq!(error.action, qmp_types::BlockErrorAction::Report);
    error
}

/// `BLOCK_IO_ERROR` from a real guest disk: QEMU 9.2 added `qom-path`,
/// which 7.2 does not send and 10.0.2 does.
#[test]
fn block_io_error_events_decode_on_7_2_and_10_0() {
    if let Some(process) = test_support::Qemu::V7_2.system("pc") {
        let mut s = negotiate(process);
        let error = io_error_event(&mut s);
        assert_eq!(error.qom_path, None, "7.2 has no qom-path");
    }
    if let Some(mut s) = start("qemu-system-x86_64", |sock| {
        test_support::system("pc", &format!("unix:{sock}"))
    }) {
        let error = io_error_event(&mut s);
        assert_eq!(
            error.qom_path.as_deref(),
            Some("/machine/peripheral/disk0/virtio-backend")
        );
    }
}
