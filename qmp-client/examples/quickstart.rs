//! Quick start: drives a real QEMU.
//!
//! `cargo run -p qmp-client --example quickstart` starts a throwaway
//! `qemu-storage-daemon` in a temporary directory (or pass the path of a
//! QMP socket to use a QEMU of yours), negotiates, runs a few typed
//! commands, creates a block job and prints the events it produces.

use qmp_client::Client;
use qmp_types::{Events, cmd, event};
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("qmp-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (socket, mut daemon) = match std::env::args().nth(1) {
        Some(path) => (std::path::PathBuf::from(path), None),
        None => {
            let sock = dir.join("qmp.sock");
            let child = std::process::Command::new("qemu-storage-daemon")
                .arg("--chardev")
                .arg(format!(
                    "socket,path={},server=on,wait=off,id=qmp",
                    sock.display()
                ))
                .args(["--monitor", "chardev=qmp"])
                .spawn()
                .map_err(|e| format!("cannot start qemu-storage-daemon (is it installed?): {e}"))?;
            while !sock.exists() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            println!("started qemu-storage-daemon (pid {})", child.id());
            (sock, Some(child))
        }
    };

    let result = run(&socket, &dir).await;
    if let Some(d) = daemon.as_mut() {
        let _ = d.kill();
        let _ = d.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(
    socket: &std::path::Path,
    dir: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::connect_unix(socket).await?;
    let v = &client.greeting().version.qemu;
    println!(
        "connected to QEMU {}.{}.{} (out-of-band: {})",
        v.major,
        v.minor,
        v.micro,
        client.oob_enabled()
    );

    let commands = client.execute(&cmd::QueryCommands).await?;
    println!("the server knows {} commands", commands.len());
    let nodes = client
        .execute(&cmd::QueryNamedBlockNodes::default())
        .await?;
    println!("block nodes: {}", nodes.len());

    // Subscribe before the command, so that no event can be missed.
    let mut jobs = client.events_of::<event::JobStatusChange>();
    let image = dir.join("disk.img");
    println!(
        "creating {} (1 MiB) with a blockdev-create job",
        image.display()
    );
    client
        .execute_raw(
            "blockdev-create",
            Some(serde_json::json!({"job-id": "create0", "options": {"driver": "file", "filename": image, "size": 1 << 20}})),
        )
        .await?;
    loop {
        let msg = jobs.wait_for(Duration::from_secs(10), |_| true).await?;
        if let Events::JobStatusChange(e) = &msg.event {
            println!(
                "  event JOB_STATUS_CHANGE at {}.{:06}: job {} is {}",
                msg.timestamp.seconds, msg.timestamp.microseconds, e.id, e.status
            );
            if e.status == qmp_types::JobStatus::Concluded {
                break;
            }
        }
    }
    client.execute(&cmd::JobDismiss::new("create0")).await?;
    let jobs = client.execute(&cmd::QueryJobs).await?;
    println!("jobs left: {}", jobs.len());
    Ok(())
}
