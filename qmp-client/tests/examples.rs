//! Every example under `examples/` runs to its end against the real QEMU
//! it starts itself: the examples are the user's flows (hot-plug a disk,
//! mirror, transaction, lifecycle, guest agent), and this keeps them
//! true. Without the binaries a test says so and passes, except under CI.

// Each example, a program of its own, declares `mod common;`: here they
// are five modules, each loading it.
#![allow(clippy::duplicate_mod)]

/// A test that runs the example `$name` when `$binary` is installed.
macro_rules! example {
    ($name:ident, $binary:literal) => {
        #[test]
        fn $name() {
            if test_support::installed($binary).is_some() {
                $name::main().expect("the example runs to its end");
            }
        }
    };
}

// The examples, as modules (each has its `main`, and its own `common`).
#[path = "../examples/guest_agent.rs"]
mod guest_agent;
#[path = "../examples/hotplug.rs"]
mod hotplug;
#[path = "../examples/lifecycle.rs"]
mod lifecycle;
#[path = "../examples/mirror.rs"]
mod mirror;
#[path = "../examples/transaction.rs"]
mod transaction;

example!(hotplug, "qemu-system-x86_64");
example!(mirror, "qemu-storage-daemon");
example!(transaction, "qemu-storage-daemon");
example!(lifecycle, "qemu-system-x86_64");
example!(guest_agent, "qemu-ga");
