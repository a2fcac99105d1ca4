//! Async and blocking QMP clients.
//!
//! Not written yet: the client is the subject of a later milestone.
