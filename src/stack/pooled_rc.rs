//! `PooledRc`: a single-threaded reference-counted pointer, as `Rc` without
//! weak references, whose allocation is a block of this thread's cache
//! (`blocks`). Task cells are made of it: a spawn then takes its cell off a
//! free list instead of calling `malloc`, and a burst of tasks that ends
//! leaves its cells warm for the next one.
//!
//! `Rc<dyn Trait>` is made by an unsizing coercion, which a type of our
//! own cannot offer on stable Rust. Instead a `PooledRc` carries a *view*:
//! a pointer to what it derefs to, made once from a safe function of the
//! value, `for<'a> FnOnce(&'a T) -> &'a V` (`|task| task as &dyn Task`).
//!
//! Rules:
//! 1. The allocation is an `RcBox<T>`: the count and the function that
//!    drops the value and frees the block, then the value. The block comes
//!    from `blocks::allocate` with the `RcBox<T>`'s layout, and goes back
//!    through `blocks::free` with it.
//! 2. The value is never moved, and no `&mut` to it is ever made, from the
//!    moment it is written until the last pointer drops it. So a reference
//!    a view function returned stays valid while the box lives: the
//!    function's signature lets it return only what borrows from the value
//!    (or is `'static`). A view is only ever read through.
//! 3. Every view points at the value's first byte (checked when a view is
//!    made), and the value starts [`VALUE_OFFSET`] bytes into its box
//!    (values are aligned to at most 16, asserted when the box is made). So
//!    the box's head is found from any view's address. The count and the
//!    drop go through a pointer to the head made from that address with
//!    the block's own provenance (exposed when the box is made), never
//!    through a view: a view made from a reference may reach only what
//!    that reference covered. One word per pointer, as `Rc`'s.
//! 4. The count is the number of `PooledRc`s of the box; the one that takes
//!    it to zero drops the value in place (once) and frees the block, even
//!    if the value's drop unwinds. A `PooledRc` is neither `Send` nor
//!    `Sync`: the count is a plain `Cell`.

use super::blocks;
use std::alloc::Layout;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

/// Where the value starts in its box (rule 3): after the count and the
/// drop function, for any value aligned to at most 16.
const VALUE_OFFSET: usize = 16;

/// The part of a box every view can reach (rule 1).
#[repr(C)]
struct RcHead {
    count: Cell<usize>,
    /// Drops the value and frees the block: monomorphised for the value's
    /// type when the box is made, so a view of any type can end the box.
    drop_box: unsafe fn(NonNull<RcHead>),
}

#[repr(C)]
struct RcBox<T> {
    head: RcHead,
    value: T,
}

/// A reference-counted pointer to a value in a pooled block, seen as `V`
/// (see the module docs).
pub(crate) struct PooledRc<V: ?Sized> {
    /// What this pointer derefs to (rule 2).
    view: NonNull<V>,
    /// Not `Send`, not `Sync` (rule 4), and owns a share of a `V`.
    _marker: PhantomData<*const V>,
}

/// Drops the `T` of the box at `head` and frees the block (rule 4).
///
/// # Safety
///
/// `head` is an `RcBox<T>` whose count just reached zero.
unsafe fn drop_box<T>(head: NonNull<RcHead>) {
    /// Frees the block when dropped, so it goes back even if the value's
    /// drop unwinds.
    struct Free(NonNull<u8>, Layout);
    impl Drop for Free {
        fn drop(&mut self) {
            // SAFETY: the block came from `allocate` with this layout (rule
            // 1), and its value is dropped by now (or unwound out of).
            unsafe { blocks::free(self.0, self.1) };
        }
    }
    let boxed = head.cast::<RcBox<T>>();
    let _free = Free(boxed.cast(), Layout::new::<RcBox<T>>());
    // SAFETY: the count reached zero, so nothing views the value any more;
    // it is dropped this once (rule 4).
    unsafe { std::ptr::addr_of_mut!((*boxed.as_ptr()).value).drop_in_place() };
}

impl<T> PooledRc<T> {
    /// A box holding `value`, with a count of one.
    #[inline(always)]
    pub(crate) fn new(value: T) -> Self {
        Self::new_with(move || value)
    }

    /// A box holding what `make` returns, with a count of one. The block
    /// is taken first, so that the compiler can build the value straight
    /// into it: a finished value handed to [`new`](Self::new) is built on
    /// the stack and copied over (a `memcpy` call per spawn, as measured).
    /// If `make` panics, the block goes back and nothing else happens.
    #[inline(always)]
    pub(crate) fn new_with(make: impl FnOnce() -> T) -> Self {
        const {
            assert!(
                std::mem::offset_of!(RcBox<T>, value) == VALUE_OFFSET,
                "a pooled value is aligned to at most 16 (pooled_rc rule 3)"
            )
        };
        /// Gives the block back if `make` unwinds.
        struct Unmade(NonNull<u8>, Layout);
        impl Drop for Unmade {
            fn drop(&mut self) {
                // SAFETY: the block came from `allocate` with this layout
                // and holds no value yet.
                unsafe { blocks::free(self.0, self.1) };
            }
        }
        let block = blocks::allocate(Layout::new::<RcBox<T>>()).cast::<RcBox<T>>();
        // Rule 3: the head is later reached from a view's address.
        block.as_ptr().expose_provenance();
        let unmade = Unmade(block.cast(), Layout::new::<RcBox<T>>());
        // SAFETY: the block is ours alone, uninitialised, with the layout
        // of an `RcBox<T>` (rule 1).
        unsafe {
            block.as_ptr().write(RcBox {
                head: RcHead {
                    count: Cell::new(1),
                    drop_box: drop_box::<T>,
                },
                value: make(),
            })
        };
        std::mem::forget(unmade);
        // SAFETY: the value lives inside the block, which is not null.
        let view =
            unsafe { NonNull::new_unchecked(std::ptr::addr_of_mut!((*block.as_ptr()).value)) };
        PooledRc {
            view,
            _marker: PhantomData,
        }
    }
}

impl<V: ?Sized> PooledRc<V> {
    /// The box's head (rule 3).
    #[inline(always)]
    fn head_ptr(&self) -> NonNull<RcHead> {
        let head = self.view.as_ptr().cast::<u8>() as usize - VALUE_OFFSET;
        // SAFETY: the head of a live box is not null; the address comes
        // with the block's provenance, exposed when the box was made (rule
        // 3).
        unsafe { NonNull::new_unchecked(std::ptr::with_exposed_provenance_mut(head)) }
    }

    #[inline(always)]
    fn head(&self) -> &RcHead {
        // SAFETY: the head of a live box (this pointer holds a count).
        unsafe { self.head_ptr().as_ref() }
    }

    /// The same box seen as `W`, through `view`, a function of the current
    /// view that returns something borrowed from it, such as an unsizing
    /// coercion (`|task| task as &dyn Task`).
    ///
    #[inline(always)]
    pub(crate) fn map_view<W: ?Sized>(
        self,
        view: impl for<'a> FnOnce(&'a V) -> &'a W,
    ) -> PooledRc<W> {
        let seen: *const W = view(&*self);
        assert!(
            std::ptr::addr_eq(seen, self.view.as_ptr()),
            "PooledRc::map_view: a view must start at the value (pooled_rc rule 3)"
        );
        let mapped = PooledRc {
            // SAFETY: made from a reference, so not null.
            view: unsafe { NonNull::new_unchecked(seen.cast_mut()) },
            _marker: PhantomData,
        };
        // The count moves to the new pointer.
        std::mem::forget(self);
        mapped
    }

    /// Whether two pointers share one box.
    #[inline(always)]
    pub(crate) fn ptr_eq<W: ?Sized>(this: &Self, other: &PooledRc<W>) -> bool {
        std::ptr::addr_eq(this.view.as_ptr(), other.view.as_ptr())
    }

    /// Where the view points, for comparisons only.
    #[inline(always)]
    pub(crate) fn as_ptr(this: &Self) -> *const V {
        this.view.as_ptr()
    }

    /// How many pointers share the box.
    #[cfg(test)]
    pub(crate) fn count(this: &Self) -> usize {
        this.head().count.get()
    }
}

impl<V: ?Sized> Deref for PooledRc<V> {
    type Target = V;

    #[inline(always)]
    fn deref(&self) -> &V {
        // SAFETY: the view stays valid while the box lives (rule 2), and
        // this pointer keeps it alive.
        unsafe { self.view.as_ref() }
    }
}

impl<V: ?Sized> Clone for PooledRc<V> {
    #[inline(always)]
    fn clone(&self) -> Self {
        let count = &self.head().count;
        // As `Rc`: a count this high means pointers were leaked, and
        // wrapping it would free the box early.
        let next = match count.get().checked_add(1) {
            Some(next) => next,
            None => too_many(),
        };
        count.set(next);
        PooledRc {
            view: self.view,
            _marker: PhantomData,
        }
    }
}

#[cold]
fn too_many() -> ! {
    panic!("PooledRc: the reference count overflowed (pointers were leaked with mem::forget)")
}

impl<V: ?Sized> Drop for PooledRc<V> {
    #[inline(always)]
    fn drop(&mut self) {
        let head = self.head();
        let count = head.count.get() - 1;
        head.count.set(count);
        if count == 0 {
            let drop_box = head.drop_box;
            // SAFETY: the box's head (rule 3), made by `new` with the drop
            // for this value's type, and the count just reached zero (rule
            // 4).
            unsafe { drop_box(self.head_ptr()) };
        }
    }
}

impl<V: ?Sized + fmt::Debug> fmt::Debug for PooledRc<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    trait Speak {
        fn speak(&self) -> String;
    }

    struct Dog {
        name: String,
        dropped: Rc<Cell<u32>>,
    }

    impl Speak for Dog {
        fn speak(&self) -> String {
            format!("{} barks", self.name)
        }
    }

    impl Drop for Dog {
        fn drop(&mut self) {
            self.dropped.set(self.dropped.get() + 1);
        }
    }

    fn dog(dropped: &Rc<Cell<u32>>) -> PooledRc<Dog> {
        PooledRc::new(Dog {
            name: "Rex".into(),
            dropped: dropped.clone(),
        })
    }

    #[test]
    fn views_share_one_box_and_the_last_drop_drops_the_value_once() {
        let dropped = Rc::new(Cell::new(0));
        let typed = dog(&dropped);
        let speaker: PooledRc<dyn Speak> = typed.clone().map_view(|d| d as &dyn Speak);
        assert_eq!(speaker.speak(), "Rex barks");
        assert!(PooledRc::ptr_eq(&typed, &speaker));
        assert_eq!(PooledRc::count(&typed), 2);
        drop(typed);
        assert_eq!(dropped.get(), 0);
        let again = speaker.clone();
        drop(speaker);
        assert_eq!(dropped.get(), 0);
        drop(again);
        assert_eq!(dropped.get(), 1);
    }

    #[test]
    fn a_box_reuses_the_block_of_one_just_dropped() {
        let dropped = Rc::new(Cell::new(0));
        let first = dog(&dropped);
        let address = PooledRc::as_ptr(&first);
        drop(first);
        let second = dog(&dropped);
        assert_eq!(PooledRc::as_ptr(&second), address);
    }

    #[test]
    fn a_view_of_a_later_field_is_refused_and_nothing_leaks() {
        #[allow(dead_code)]
        #[repr(C)]
        struct Pair(u64, Dog);
        let dropped = Rc::new(Cell::new(0));
        let pair = PooledRc::new(Pair(
            1,
            Dog {
                name: "Rex".into(),
                dropped: dropped.clone(),
            },
        ));
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            drop(pair.map_view(|p| &p.1));
        }));
        let payload = refused.expect_err("a view past the value's start is refused");
        assert!(payload
            .downcast_ref::<&str>()
            .is_some_and(|m| m.contains("a view must start at the value")));
        assert_eq!(dropped.get(), 1, "the box was dropped with the panic");
    }

    #[test]
    fn a_drop_that_unwinds_still_frees_the_block() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("bomb");
            }
        }
        let before = blocks::held();
        let bomb = PooledRc::new(Bomb);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(bomb)));
        assert!(r.is_err());
        assert!(blocks::held() > before, "the block went back to the list");
    }

    #[test]
    fn a_value_dropping_other_boxes_in_its_drop_works() {
        struct Holder {
            _next: Option<PooledRc<Holder>>,
            dropped: Rc<Cell<u32>>,
        }
        impl Drop for Holder {
            fn drop(&mut self) {
                self.dropped.set(self.dropped.get() + 1);
            }
        }
        let dropped = Rc::new(Cell::new(0));
        let holder = |next| Holder {
            _next: next,
            dropped: dropped.clone(),
        };
        let mut chain = PooledRc::new(holder(None));
        for _ in 0..1000 {
            chain = PooledRc::new(holder(Some(chain)));
        }
        drop(chain);
        assert_eq!(dropped.get(), 1001);
    }

    #[test]
    fn a_value_that_panics_while_made_gives_its_block_back() {
        let before = blocks::held();
        let made = std::panic::catch_unwind(|| PooledRc::<u64>::new_with(|| panic!("no value")));
        assert!(made.is_err());
        assert!(blocks::held() > before, "the block went back to the list");
    }

    #[test]
    fn large_values_live_outside_the_lists() {
        let big = PooledRc::new([7u8; 4096]);
        let view: PooledRc<[u8]> = big.clone().map_view(|b| &b[..]);
        assert_eq!(view.len(), 4096);
        assert_eq!(view[4095], 7);
        assert_eq!(std::mem::size_of::<PooledRc<dyn Speak>>(), 16);
    }
}
