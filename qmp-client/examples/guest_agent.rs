//! Ask a guest agent about its guest.
//!
//! `cargo run -p qmp-client --example guest_agent` starts a throwaway
//! `qemu-ga` on this host (as if this host were the guest; it only runs
//! commands that read), synchronises with it and asks what it is.

mod common;

use common::{Qemu, Result};
use qmp_types::qga::cmd;

// pub(crate): tests/examples.rs runs it against a real QEMU.
#[tokio::main(flavor = "current_thread")]
pub(crate) async fn main() -> Result {
    let qemu = Qemu::guest_agent()?;
    let mut agent = qemu.agent().await?;

    agent.execute(&cmd::GuestPing).await?;
    let info = agent.execute(&cmd::GuestInfo).await?;
    let enabled = info.supported_commands.iter().filter(|c| c.enabled).count();
    println!(
        "qemu-ga {}: {enabled} of {} commands enabled",
        info.version,
        info.supported_commands.len()
    );
    let os = agent.execute(&cmd::GuestGetOsinfo).await?;
    println!(
        "guest OS: {} (kernel {})",
        os.pretty_name.as_deref().unwrap_or("unknown"),
        os.kernel_release.as_deref().unwrap_or("unknown")
    );
    let host = agent.execute(&cmd::GuestGetHostName).await?;
    println!("host name: {}", host.host_name);
    let time = agent.execute(&cmd::GuestGetTime).await?;
    println!("guest clock: {time} ns since the epoch");
    Ok(())
}
