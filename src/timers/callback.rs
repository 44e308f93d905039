//! What a timer runs: a callback and its label.

use std::marker::PhantomData;

use crate::label::Label;
use crate::EventLoop;

/// A timer's callback with its label. The label of a plain closure is its type's name, which
/// the vtable knows: no field, so a closure that captures nothing takes no memory at all.
pub(crate) trait TimerCallback {
    /// Runs the callback; the loop's runner contains a panic (see `tick.rs`).
    fn run(self: Box<Self>, event_loop: &EventLoop);
    fn label(&self) -> Label;
    /// What replaces the callback once it is cancelled: the same label, nothing to run.
    fn placeholder(&mut self) -> Box<dyn TimerCallback>;
}

/// A closure labelled by its type's name.
pub(super) struct Named<F>(pub(super) F);

/// What is left of a cancelled `Named<F>`: nothing but its type, for the label.
struct Dropped<F>(PhantomData<fn() -> F>);

/// A closure with a label of the caller's choosing (`EventLoop::with_label`).
pub(super) struct Labelled<F> {
    pub(super) label: Label,
    pub(super) callback: Option<F>,
}

impl<F: FnOnce(&EventLoop) + 'static> TimerCallback for Named<F> {
    fn run(self: Box<Self>, event_loop: &EventLoop) {
        let Named(callback) = *self;
        callback(event_loop);
    }

    fn label(&self) -> Label {
        Label::of_type::<F>()
    }

    fn placeholder(&mut self) -> Box<dyn TimerCallback> {
        Box::new(Dropped::<F>(PhantomData)) // zero-sized: no allocation
    }
}

impl<F: 'static> TimerCallback for Dropped<F> {
    fn run(self: Box<Self>, _: &EventLoop) {}

    fn label(&self) -> Label {
        Label::of_type::<F>()
    }

    fn placeholder(&mut self) -> Box<dyn TimerCallback> {
        Box::new(Dropped::<F>(PhantomData))
    }
}

impl<F: FnOnce(&EventLoop) + 'static> TimerCallback for Labelled<F> {
    fn run(self: Box<Self>, event_loop: &EventLoop) {
        if let Some(callback) = self.callback {
            callback(event_loop);
        }
    }

    fn label(&self) -> Label {
        self.label.clone()
    }

    fn placeholder(&mut self) -> Box<dyn TimerCallback> {
        let label = std::mem::replace(&mut self.label, Label::fixed(""));
        Box::new(Labelled::<fn(&EventLoop)> {
            label,
            callback: None,
        })
    }
}
