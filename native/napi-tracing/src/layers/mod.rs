//! The layers a session can stack, one file each.

pub(crate) mod callback;
