//! The mailbox: where values cross a stack switch.
//!
//! corosensei passes a value larger than a register through a pointer to the
//! other side's stack and copies it; a rich enum of a signal and its value
//! costs that on every switch. Instead, only a one-byte tag crosses the
//! switch, and the value waits in a mailbox at a fixed place at the top of
//! the generator's own stack, which both sides know:
//!
//! ```text
//!   top of the mapping -> | Mailbox<Y, S> | corosensei's initial frame ... <- sp
//! ```
//!
//! Rules:
//! 1. Exactly one side runs at a time (the resumer is suspended in `resume`
//!    while the body runs, and the body in `suspend` while the resumer
//!    runs), so the two never touch the mailbox at once.
//! 2. A side puts a value in just before it switches and the other side
//!    takes it out right after the switch; at rest every slot is empty.
//! 3. The mailbox lives as long as the stack, which the generator owns. At
//!    rest it holds nothing, so nothing needs dropping when the stack goes
//!    back to the pool or is leaked with the generator.

use super::protocol::{DelegatePtr, Payload, Resume, Suspend, WaitKind};
use std::mem::MaybeUninit;

/// What the resumer sends across the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResumeTag {
    Start,
    Send,
    Close,
    SubDone,
    SubPanicked,
    Wake,
}

/// What the body sends back across the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SuspendTag {
    Value,
    Delegate,
    Wait(WaitKind),
}

/// The slots beside the tags. A slot holds a value only between the post on
/// one side and the take on the other (rule 2), and its tag says which slot
/// is full, so the slots need no "empty" state of their own.
pub(crate) struct Mailbox<Y, S> {
    sent: MaybeUninit<S>,
    yielded: MaybeUninit<Y>,
    delegate: MaybeUninit<DelegatePtr<Y, S>>,
    panic: MaybeUninit<Payload>,
}

impl<Y, S> Mailbox<Y, S> {
    pub(crate) fn empty() -> Self {
        Mailbox {
            sent: MaybeUninit::uninit(),
            yielded: MaybeUninit::uninit(),
            delegate: MaybeUninit::uninit(),
            panic: MaybeUninit::uninit(),
        }
    }
}

/// Resumer side: posts the signal's value and returns the tag to send.
///
/// # Safety
///
/// `mailbox` points at the live mailbox of the generator about to be
/// resumed, and its body is suspended (rule 1).
#[inline(always)]
pub(crate) unsafe fn post_resume<Y, S>(
    mailbox: *mut Mailbox<Y, S>,
    signal: Resume<S>,
) -> ResumeTag {
    // SAFETY: the caller guarantees the mailbox is live and that nobody
    // else touches it now.
    let mailbox = unsafe { &mut *mailbox };
    match signal {
        Resume::Start => ResumeTag::Start,
        Resume::Send(value) => {
            mailbox.sent.write(value);
            ResumeTag::Send
        }
        Resume::Close => ResumeTag::Close,
        Resume::SubDone => ResumeTag::SubDone,
        Resume::SubPanicked(payload) => {
            mailbox.panic.write(payload);
            ResumeTag::SubPanicked
        }
        Resume::Wake => ResumeTag::Wake,
    }
}

/// Resumer side: posts a sent value (the tag to send with it is
/// `ResumeTag::Send`).
///
/// # Safety
///
/// As [`post_resume`].
#[inline(always)]
pub(crate) unsafe fn post_sent<Y, S>(mailbox: *mut Mailbox<Y, S>, value: S) {
    // SAFETY: the caller guarantees the mailbox is live and that nobody
    // else touches it now.
    unsafe { (*mailbox).sent.write(value) };
}

/// Body side: posts a yielded value (the tag to suspend with is
/// `SuspendTag::Value`).
///
/// # Safety
///
/// As [`take_resume`], just before the switch.
#[inline(always)]
pub(crate) unsafe fn post_yielded<Y, S>(mailbox: *mut Mailbox<Y, S>, value: Y) {
    // SAFETY: the caller guarantees the mailbox is live and that the
    // resumer is suspended.
    unsafe { (*mailbox).yielded.write(value) };
}

/// Body side: takes a sent value, right after a resumption with
/// `ResumeTag::Send`.
///
/// # Safety
///
/// As [`take_resume`], for a switch that came back with `ResumeTag::Send`.
#[inline(always)]
pub(crate) unsafe fn take_sent<Y, S>(mailbox: *mut Mailbox<Y, S>) -> S {
    // SAFETY: the caller guarantees the mailbox is live, the resumer
    // suspended, and that it posted into exactly this slot (its tag said
    // so); it is read once.
    unsafe { (*mailbox).sent.assume_init_read() }
}

/// Resumer side: takes a yielded value, right after the body suspended with
/// `SuspendTag::Value`.
///
/// # Safety
///
/// As [`take_suspend`], for a switch that came back with `SuspendTag::Value`.
#[inline(always)]
pub(crate) unsafe fn take_yielded<Y, S>(mailbox: *mut Mailbox<Y, S>) -> Y {
    // SAFETY: the caller guarantees the mailbox is live, the body suspended,
    // and that the body posted into exactly this slot (its tag said so); it
    // is read once.
    unsafe { (*mailbox).yielded.assume_init_read() }
}

/// Body side: takes the value that came with `tag`.
///
/// # Safety
///
/// As [`post_resume`], from the body's side, right after the switch.
#[inline(always)]
pub(crate) unsafe fn take_resume<Y, S>(mailbox: *mut Mailbox<Y, S>, tag: ResumeTag) -> Resume<S> {
    // SAFETY: the caller guarantees the mailbox is live and that the
    // resumer is suspended.
    let mailbox = unsafe { &mut *mailbox };
    match tag {
        ResumeTag::Start => Resume::Start,
        ResumeTag::Send => {
            // SAFETY: the tag says the resumer posted into exactly this slot
            // just before the switch; it is read once.
            Resume::Send(unsafe { mailbox.sent.assume_init_read() })
        }
        ResumeTag::Close => Resume::Close,
        ResumeTag::SubDone => Resume::SubDone,
        ResumeTag::SubPanicked => {
            // SAFETY: as for `Send`.
            Resume::SubPanicked(unsafe { mailbox.panic.assume_init_read() })
        }
        ResumeTag::Wake => Resume::Wake,
    }
}

/// Body side: posts what it suspends with and returns the tag.
///
/// # Safety
///
/// As [`take_resume`], just before the switch.
#[inline(always)]
pub(crate) unsafe fn post_suspend<Y, S>(
    mailbox: *mut Mailbox<Y, S>,
    out: Suspend<Y, S>,
) -> SuspendTag {
    // SAFETY: as in `take_resume`.
    let mailbox = unsafe { &mut *mailbox };
    match out {
        Suspend::Value(value) => {
            mailbox.yielded.write(value);
            SuspendTag::Value
        }
        Suspend::Delegate(delegate) => {
            mailbox.delegate.write(delegate);
            SuspendTag::Delegate
        }
        Suspend::Wait(kind) => SuspendTag::Wait(kind),
    }
}

/// Resumer side: takes what the body suspended with.
///
/// # Safety
///
/// As [`post_resume`], right after the switch back.
#[inline(always)]
pub(crate) unsafe fn take_suspend<Y, S>(
    mailbox: *mut Mailbox<Y, S>,
    tag: SuspendTag,
) -> Suspend<Y, S> {
    // SAFETY: as in `post_resume`.
    let mailbox = unsafe { &mut *mailbox };
    match tag {
        SuspendTag::Value => {
            // SAFETY: the tag says the body posted into exactly this slot
            // just before the switch; it is read once.
            Suspend::Value(unsafe { mailbox.yielded.assume_init_read() })
        }
        SuspendTag::Delegate => {
            // SAFETY: as for `Value`.
            Suspend::Delegate(unsafe { mailbox.delegate.assume_init_read() })
        }
        SuspendTag::Wait(kind) => Suspend::Wait(kind),
    }
}
