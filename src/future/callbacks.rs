//! A future's done-callbacks (asyncio's `Future._callbacks`): what `add_done_callback`
//! registers and what the future schedules when it is done.

use std::cell::Cell;
use std::rc::Rc;
use std::task::Waker;

use super::Future;
use crate::label::Label;
use crate::ready::{DoneCall, Notify};
use crate::scheduler::task_table::TaskKey;

thread_local! {
    /// Numbers done-callbacks, for [`CallbackId`]. Futures never leave their thread, so ids
    /// unique per thread are unique enough, and a thread-local counter needs no atomic.
    pub(super) static NEXT_CALLBACK_ID: Cell<u64> = const { Cell::new(0) };
}

/// Identifies a done-callback, so that it can be removed again with
/// [`Future::remove_done_callback`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackId(pub(super) u64);

/// A done-callback added with `add_done_callback`, with its id and label.
///
/// # Implementation notes
/// The closure, its id and its label share one allocation (a `Box<dyn DoneFn<T>>`), which also
/// keeps a `DoneCallback` two words long.
pub(super) struct DoneFunction<F> {
    pub(super) id: CallbackId,
    pub(super) label: Label,
    pub(super) function: F,
}

/// What the loop needs of a [`DoneFunction`], whatever its closure's type.
pub(super) trait DoneFn<T> {
    fn id(&self) -> CallbackId;
    fn label(&self) -> &Label;
    fn call(self: Box<Self>, future: &Future<T>);
}

impl<T, F: FnOnce(&Future<T>)> DoneFn<T> for DoneFunction<F> {
    fn id(&self) -> CallbackId {
        self.id
    }

    fn label(&self) -> &Label {
        &self.label
    }

    fn call(self: Box<Self>, future: &Future<T>) {
        (self.function)(future)
    }
}

/// A done-callback on its way to the ready deque, with the future it is told about: the
/// entry `Runnable::Done` runs.
pub(super) struct ScheduledDone<T> {
    pub(super) done: Box<dyn DoneFn<T>>,
    pub(super) future: Future<T>,
}

impl<T> DoneCall for ScheduledDone<T> {
    fn label(&self) -> &Label {
        self.done.label()
    }

    fn call(self: Box<Self>) {
        let ScheduledDone { done, future } = *self;
        done.call(&future);
    }
}

/// Who is waiting for a future to be done.
pub(super) enum DoneCallback<T> {
    /// A function added with `add_done_callback`.
    Function(Box<dyn DoneFn<T>>),
    /// A callback shared with other futures, and this future's index among them.
    Notify(Rc<dyn Notify>, u32),
    /// A steploop task awaiting the future: its wakeup is scheduled directly, without a waker
    /// and without allocating.
    Wakeup(TaskKey),
    /// Any other awaiter (a future polled outside steploop's tasks).
    Waker(Waker),
}

/// The done-callbacks of a future, in the order they were added.
///
/// # Implementation notes
/// Most futures have exactly one waiter (the task awaiting them), so the first callback is
/// kept inline and only a second one allocates a `Vec`. The `Vec` itself sits behind a box:
/// an empty `Vec` takes three words in every future (and every task), a `None` box one.
pub(super) struct Callbacks<T> {
    pub(super) first: Option<DoneCallback<T>>,
    // The extra allocation is the point: it is made only for a second callback.
    #[allow(clippy::box_collection)]
    rest: Option<Box<Vec<DoneCallback<T>>>>,
}

impl<T> Default for Callbacks<T> {
    fn default() -> Self {
        Callbacks {
            first: None,
            rest: None,
        }
    }
}

impl<T> Callbacks<T> {
    pub(super) fn push(&mut self, callback: DoneCallback<T>) {
        // `first` comes before `rest`: it may only be filled while `rest` is empty.
        if self.first.is_none() && self.rest.as_ref().is_none_or(|rest| rest.is_empty()) {
            self.first = Some(callback);
        } else {
            self.rest.get_or_insert_default().push(callback);
        }
    }

    pub(super) fn rest(&self) -> &[DoneCallback<T>] {
        self.rest.as_deref().map_or(&[], Vec::as_slice)
    }

    pub(super) fn any(&self, mut matches: impl FnMut(&DoneCallback<T>) -> bool) -> bool {
        self.first.iter().chain(self.rest()).any(&mut matches)
    }

    /// Removes the first callback that matches; true if there was one.
    pub(super) fn remove_first(
        &mut self,
        mut matches: impl FnMut(&DoneCallback<T>) -> bool,
    ) -> bool {
        if self.first.as_ref().is_some_and(&mut matches) {
            self.first = None;
            return true;
        }
        match self.rest().iter().position(matches) {
            Some(i) => {
                if let Some(rest) = &mut self.rest {
                    rest.remove(i);
                }
                true
            }
            None => false,
        }
    }

    /// Hands each callback to `f`, in order, without building an iterator: a future's only
    /// callback, the common case, costs one test.
    pub(super) fn for_each(self, mut f: impl FnMut(DoneCallback<T>)) {
        if let Some(first) = self.first {
            f(first);
        }
        if let Some(rest) = self.rest {
            rest.into_iter().for_each(f);
        }
    }
}
