//! What every lock guard gives: its value through `Deref` (and `DerefMut`
//! for an exclusive guard), and the value's `Debug` and `Display`. One
//! macro for the guards of `Mutex`, `RwLock` and their shared twins, each
//! of which keeps its borrow of the value in a field named `value`.

/// `guard_access!(Guard)` for a shared guard, `guard_access!(Guard, mut)`
/// for an exclusive one.
macro_rules! guard_access {
    ($guard:ident) => {
        impl<T> std::ops::Deref for $guard<'_, T> {
            type Target = T;

            fn deref(&self) -> &T {
                &self.value
            }
        }

        impl<T: std::fmt::Debug> std::fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&*self.value, f)
            }
        }

        impl<T: std::fmt::Display> std::fmt::Display for $guard<'_, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&*self.value, f)
            }
        }
    };
    ($guard:ident, mut) => {
        guard_access!($guard);

        impl<T> std::ops::DerefMut for $guard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.value
            }
        }
    };
}

pub(crate) use guard_access;
